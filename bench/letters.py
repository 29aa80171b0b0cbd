"""Letters per second: our render path versus a bare WeasyPrint call on the same HTML.

    .venv/bin/python bench/letters.py [--letters 200] [--rounds 3] [--processes 1]

Builds its own data: a temporary SQLite database (unless DATABASE_URL is set, then that
database is used and the bench rows are removed afterwards) holding seed-like cases with
1 to 4 decided items. "ours" is `render_letter_pdf` (DB reads + template + cached CSS and
shared fonts); "bare" is `weasyprint.HTML(string=html).write_pdf()` with default options on
the same letter, its stylesheet inlined, as a naive caller would write it (the bench checks
that this HTML is ours plus the <style> element, and does not time building it).

Fair by construction: both paths are warmed up first (imports, fontconfig, Pango caches),
each round times every letter through both paths, which path goes first alternates from
round to round, the garbage collector is emptied before each timed run, and medians over
the rounds are reported. Letters/s is given per wall-clock second and per CPU second of
the process (the latter hardly moves when other work shares the machine). With
`--processes N`, N forked processes each run the same rounds on their share of the
letters, starting each timed run together; the aggregate letters/s is printed as well.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django() -> tempfile.TemporaryDirectory | None:
    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="imr-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
        os.environ.setdefault("MEDIA_ROOT", f"{tmp.name}/media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
    os.environ.setdefault("DEBUG", "true")  # the embedded default, as `make demo` runs it
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return tmp


ITEMS = [
    (
        "Physical Therapy 2x8 for the Lumbar Spine",
        "physical_medicine",
        "MTUS Chronic Pain Treatment Guidelines Physical Medicine",
    ),
    (
        "TPI 20553 X6 in the Right Lumbar Paraspinals",
        "injections",
        "MTUS Chronic Pain Treatment Guidelines Trigger Point Injections",
    ),
    ("Norco 10/325 mg #120", "pharmaceuticals", "MTUS Chronic Pain Treatment Guidelines Opioids"),
    ("MRI of the Lumbar Spine without contrast", "diagnostics", "ACOEM Low Back Complaints"),
]


def _make_determinations(*, count: int, random_seed: int = 7):
    from datetime import date

    from cases.models import Case, CaseStatus, DisputedItem, Party, PartyRole
    from determinations.models import Determination, DeterminationStatus, ItemDecision

    seed = json.loads((ROOT / "tests" / "data" / "seed-case.json").read_text(encoding="utf-8"))
    summary = seed["determination"]["clinical_case_summary"]
    rationales = [item["rationale"] for item in seed["determination"]["items"]]

    rng = random.Random(random_seed)
    determinations = []
    for n in range(count):
        case = Case.objects.create(
            case_number=f"CM19-{9000000 + n:07d}",
            status=CaseStatus.QA_REVIEW,
            received_on=date(2019, 2, 27),
            signed=True,
            ur_decision_attached=True,
            injury_date=date(2012, 5, 3),
            ur_decision_date=date(2019, 2, 6),
            ur_served_on=date(2019, 2, 9),
        )
        Party.objects.bulk_create(
            [
                Party(case=case, role=PartyRole.EMPLOYEE, name=f"Employee {n}", email=f"e{n}@example.org"),
                Party(
                    case=case, role=PartyRole.EMPLOYER, name=f"Employer {n} Inc.", email=f"hr{n}@example.com"
                ),
                Party(
                    case=case,
                    role=PartyRole.CLAIMS_ADMINISTRATOR,
                    name="Golden State Claims Services",
                    claim_number=f"GSC-{n:06d}",
                    email="desk@example.com",
                ),
                Party(
                    case=case,
                    role=PartyRole.REQUESTING_PROVIDER,
                    name="Dr. Alan Treating",
                    email="dr@example.com",
                ),
            ]
        )
        determination = Determination.objects.create(
            case=case,
            clinical_case_summary=summary,
            licensure_states=["GA", "CA", "TX"],
            certifications=["Preventive Medicine", "Occupational Medicine"],
        )
        for position, (description, category, guideline) in enumerate(
            rng.sample(ITEMS, rng.randint(1, 4)), start=1
        ):
            item = DisputedItem.objects.create(
                case=case,
                position=position,
                description=description,
                category=category,
                ur_decision="denied",
                claims_administrator_guideline=guideline,
            )
            ItemDecision.objects.create(
                determination=determination,
                disputed_item=item,
                decision=rng.choice(["upheld", "upheld", "upheld", "overturned"]),
                reviewer_guideline=f"{guideline} Page(s): {rng.randint(1, 120)} of 127",
                rationale=rng.choice(rationales),
            )
        # Approved once its items are in: an approved determination's record is read-only.
        Determination.objects.filter(pk=determination.pk).update(status=DeterminationStatus.APPROVED)
        determination.refresh_from_db()
        determinations.append(determination)
    return determinations


def _time_rounds(*, determinations, htmls, rounds: int, barrier=None) -> list[dict[str, float]]:
    """Per round: wall and CPU seconds of both paths over all `determinations`."""
    import gc

    import weasyprint

    from determinations.letters import render_letter_pdf

    def ours() -> None:
        for determination in determinations:
            render_letter_pdf(determination=determination, draft=False)

    def bare() -> None:
        for html in htmls:
            weasyprint.HTML(string=html).write_pdf()

    # Warm-up: a few letters through each path, so neither pays first-use costs in a round.
    for determination, html in zip(determinations[:3], htmls[:3], strict=True):
        render_letter_pdf(determination=determination, draft=False)
        weasyprint.HTML(string=html).write_pdf()

    results = []
    for round_ in range(rounds):
        timings: dict[str, float] = {}
        order = [("ours", ours), ("bare", bare)]
        for name, run in order if round_ % 2 == 0 else order[::-1]:
            gc.collect()
            if barrier is not None:
                barrier.wait()
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            timings[f"{name}_wall"] = time.perf_counter() - wall
            timings[f"{name}_cpu"] = time.process_time() - cpu
        results.append(timings)
    return results


def _worker(queue, barrier, determinations, htmls, rounds: int) -> None:
    from django.db import connections

    connections.close_all()  # the parent's connection is not shared across fork
    try:
        queue.put(_time_rounds(determinations=determinations, htmls=htmls, rounds=rounds, barrier=barrier))
    finally:
        connections.close_all()


def _in_processes(*, determinations, htmls, rounds: int, processes: int) -> list[list[dict[str, float]]]:
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue, barrier = context.Queue(), context.Barrier(processes)
    workers = [
        context.Process(
            target=_worker,
            args=(queue, barrier, determinations[n::processes], htmls[n::processes], rounds),
        )
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return results


def _pdf_facts(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    embedded = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and any(
                    key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    embedded.add(str(font["/BaseFont"]).split("+")[-1])
    return (
        f"{len(pdf) / 1024:.1f} KB, {len(reader.pages)} pages, fonts embedded: {', '.join(sorted(embedded))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; medians are reported")
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    tmp = _setup_django()
    try:
        import weasyprint

        from determinations.letters import (
            _letter_css_text,
            _render_html,
            build_letter_context,
            render_letter_html,
            render_letter_pdf,
        )

        determinations = _make_determinations(count=args.letters)
        htmls = [render_letter_html(determination=d, draft=False) for d in determinations]
        # Honest comparison: the bare path lays out exactly our HTML, plus its stylesheet.
        style = f"<style>{_letter_css_text()}</style>"
        for determination, html in zip(determinations, htmls, strict=True):
            context = build_letter_context(determination=determination)
            assert html.replace(style, "") == _render_html(context=context, draft=False, inline_css=False)

        n = len(determinations)
        print(f"letters: {n} (1 to 4 items each), database: {os.environ['DATABASE_URL'].split(':')[0]}")
        sample = max(range(n), key=lambda i: len(htmls[i]))
        print(f"ours PDF: {_pdf_facts(render_letter_pdf(determination=determinations[sample], draft=False))}")
        print(f"bare PDF: {_pdf_facts(weasyprint.HTML(string=htmls[sample]).write_pdf())}")

        rounds = _time_rounds(determinations=determinations, htmls=htmls, rounds=args.rounds)
        ours_wall = statistics.median(r["ours_wall"] for r in rounds)
        bare_wall = statistics.median(r["bare_wall"] for r in rounds)
        ours_cpu = statistics.median(r["ours_cpu"] for r in rounds)
        bare_cpu = statistics.median(r["bare_cpu"] for r in rounds)
        ratio_wall = statistics.median(r["ours_wall"] / r["bare_wall"] for r in rounds)
        ratio_cpu = statistics.median(r["ours_cpu"] / r["bare_cpu"] for r in rounds)
        print(f"one process, median of {args.rounds} rounds (path order alternating):")
        print("                                                       wall      CPU")
        print(
            f"ours (render_letter_pdf, incl. DB reads + template): {n / ours_wall:6.2f}   {n / ours_cpu:6.2f}"
            "  letters/s"
        )
        print(
            f"bare (weasyprint.HTML(string=html).write_pdf()):     {n / bare_wall:6.2f}   {n / bare_cpu:6.2f}"
            "  letters/s"
        )
        print(
            f"ratio ours/bare (time):                               {ratio_wall:6.3f}   {ratio_cpu:6.3f}"
            "  (target <= 1.0)"
        )

        if args.processes > 1:
            per_process = _in_processes(
                determinations=determinations, htmls=htmls, rounds=args.rounds, processes=args.processes
            )
            print(f"{args.processes} processes, each on {n // args.processes}+ letters, started together:")
            for path in ("ours", "bare"):
                # A round's throughput: all letters over the slowest process's time.
                throughput = statistics.median(
                    n / max(results[r][f"{path}_wall"] for results in per_process) for r in range(args.rounds)
                )
                per_cpu = statistics.median(
                    len(determinations[i :: args.processes]) / results[r][f"{path}_cpu"]
                    for i, results in enumerate(per_process)
                    for r in range(args.rounds)
                )
                print(f"{path}: {throughput:6.2f} letters/s in all, {per_cpu:6.2f} letters per CPU second")
    finally:
        if tmp is None:
            from cases.models import Case

            Case.objects.filter(case_number__startswith="CM19-9").delete()
        else:
            tmp.cleanup()


if __name__ == "__main__":
    main()
