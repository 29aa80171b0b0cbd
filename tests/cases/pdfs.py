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


def make_pdf_with_javascript(*, label: str = "with javascript") -> bytes:
    """A PDF whose catalog runs JavaScript on open (/OpenAction /S /JavaScript /JS ...)."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": label})
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('opened');"))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_pdf_with_embedded_file(*, label: str = "with attachment") -> bytes:
    """A PDF carrying a file (an 'executable') in its /EmbeddedFiles name tree."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": label})
    writer.add_attachment("setup.exe", b"MZ\x90\x00 not really a program")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_pdf_with_launch_action(*, label: str = "with launch") -> bytes:
    """A PDF whose page link starts a program (/S /Launch)."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": label})
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(n) for n in (0, 0, 100, 100)]),
            NameObject("/A"): action,
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_pdf_with_javascript_in_object_stream() -> bytes:
    """A hand-built PDF 1.5 whose /OpenAction sits compressed in an object stream, with its
    names escaped (`/J#53`, `/J#61vaScript`): found only by reading the objects, never the bytes."""
    import zlib

    action = b"<< /S /J#61vaScript /J#53 (app.launchURL\\('http://example.invalid'\\)) >>"
    header = b"4 0 "
    packed = zlib.compress(header + action)
    assert b"JavaScript" not in packed and b"/JS" not in packed
    parts: list[bytes] = [b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"]
    offsets: dict[int, int] = {}

    def add(number: int, content: bytes) -> None:
        offsets[number] = sum(len(part) for part in parts)
        parts.append(b"%d 0 obj\n" % number + content + b"\nendobj\n")

    add(1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    add(
        5,
        b"<< /Type /ObjStm /N 1 /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream",
    )
    xref_at = sum(len(part) for part in parts)
    rows = [(0, 0, 65535), (1, offsets[1], 0), (1, offsets[2], 0), (1, offsets[3], 0), (2, 5, 0)]
    rows += [(1, offsets[5], 0), (1, xref_at, 0)]
    table = b"".join(bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big") for kind, a, b in rows)
    xref_head = b"<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
    add(6, xref_head + table + b"\nendstream")
    parts.append(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return b"".join(parts)
