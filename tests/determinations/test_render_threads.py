"""PDFs rendered from several threads of one process at once all finish with a PDF.

A thread-pool Celery worker (the test suite's) froze, heartbeat and all, while two of its threads
laid out two invoices at once with the shared font configuration; `html_to_pdf` now takes one
layout at a time per process. This test did not make the freeze happen on demand; it holds the
behaviour: four threads, three renders each, every one finished."""

from __future__ import annotations

import threading

from determinations.letters import html_to_pdf

HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>
<body><h1>Final Determination Letter</h1>{}</body></html>"""


def test_threads_rendering_at_once_all_finish_with_a_pdf():
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def render(n: int) -> None:
        try:
            for round_ in range(3):
                body = "".join(f"<p>Thread {n}, round {round_}, paragraph {i}.</p>" for i in range(60))
                results[n * 10 + round_] = html_to_pdf(html=HTML.format(body))
        except BaseException as error:  # reported below, with the thread's number
            errors.append(error)

    threads = [threading.Thread(target=render, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a render never finished"
    assert errors == []
    assert len(results) == 12 and all(pdf.startswith(b"%PDF-") for pdf in results.values())
