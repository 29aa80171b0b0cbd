"""Small real PDFs for the document tests, built with pypdf."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter


def make_pdf_bytes(*, pages: int = 2, label: str = "medical record", padding: int = 0) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    # The label makes each test file's content (and hash) distinct.
    writer.add_metadata({"/Title": label})
    if padding:
        # Random bytes do not compress, so the file really grows by `padding` bytes.
        import os

        writer.add_attachment("padding.bin", os.urandom(padding))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "record.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# The first bytes of a real PNG image (signature and IHDR chunk).
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
