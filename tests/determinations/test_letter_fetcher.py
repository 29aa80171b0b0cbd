"""Letter rendering fetches nothing from outside (issue 13, item 7).

HTML that reached WeasyPrint through the project's renderer asks for `file:///etc/passwd`,
the settings file (as a stylesheet and as a PDF attachment), a page of a local HTTP server
and a data: URL: the fetcher refuses each, the HTTP server receives no request, and the
PDF holds none of it. The letter's own stylesheet is still served.
"""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from determinations.letters import LETTER_CSS_PATH, html_to_pdf, letter_url_fetcher

SETTINGS_FILE = Path(settings.BASE_DIR) / "imr_site" / "settings.py"


@pytest.fixture
def http_server():
    """A real local HTTP server that records every request it gets."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            received.append(self.path)
            body = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def _pdf_text_and_attachments(pdf: bytes) -> tuple[str, dict]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), dict(reader.attachments)


def test_hostile_html_through_the_renderer_fetches_nothing(http_server):
    base, received = http_server
    html = f"""<html><head>
      <link rel="stylesheet" href="{SETTINGS_FILE.as_uri()}">
      <link rel="attachment" href="{SETTINGS_FILE.as_uri()}" title="settings">
      <link rel="attachment" href="file:///etc/passwd" title="passwd">
      <link rel="stylesheet" href="{base}/style.css">
    </head><body>
      <p>Letter body</p>
      <img src="file:///etc/passwd" alt="x">
      <img src="{base}/tracker.svg" alt="y">
      <img src="https://127.0.0.1:1/secure.png" alt="z">
      <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3Cimage href='file:///etc/passwd'/%3E%3C/svg%3E">
      <object data="file:///etc/hostname"></object>
      <div style="background: url('{base}/bg.png')">x</div>
    </body></html>"""
    fetcher = letter_url_fetcher()

    pdf = html_to_pdf(html=html, url_fetcher=fetcher)

    assert received == []  # the local HTTP server never heard from the renderer
    refused = set(fetcher.refused)
    assert "file:///etc/passwd" in refused
    assert SETTINGS_FILE.as_uri() in refused
    assert f"{base}/tracker.svg" in refused
    assert f"{base}/style.css" in refused
    assert f"{base}/bg.png" in refused
    assert any(url.startswith("data:") for url in refused)
    text, attachments = _pdf_text_and_attachments(pdf)
    assert "Letter body" in text
    assert attachments == {}
    assert "root:" not in text and "SECRET_KEY" not in text
    assert b"root:x:0:0" not in pdf and b"SECRET_KEY" not in pdf


def test_the_letter_stylesheet_is_served_and_paths_out_of_its_folder_are_not():
    fetcher = letter_url_fetcher()
    response = fetcher.fetch(LETTER_CSS_PATH.as_uri())
    assert response.read() == LETTER_CSS_PATH.read_bytes()
    assert response.content_type == "text/css"
    escaping = LETTER_CSS_PATH.parent.as_uri() + "/../../../imr_site/settings.py"
    for url in (escaping, LETTER_CSS_PATH.parent.as_uri() + "/../../../imr_site/../pyproject.toml",
                "file://remote-host" + str(LETTER_CSS_PATH), "ftp://127.0.0.1/x.css"):
        with pytest.raises(ValueError, match="may not load"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 4
