"""Adding a document (a PDF) to a case.

Documents hold PHI: they are stored under MEDIA_ROOT, which no URL serves; people open them
only through the access-checked view in `cases.document_views`. A file is accepted only when
its content is a readable PDF: the name and the browser's content type are not trusted.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction

from cases.errors import CaseError
from cases.models import EARLIEST_CASE_DATE, Case, CaseEventKind, Document, DocumentKind, document_upload_to
from cases.services.workflow import record_case_event
from core import clock
from core.dates import us_date

if TYPE_CHECKING:
    from pypdf import PdfReader

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# Readers look for the end-of-file marker in the last 1024 bytes; a file cut short has none.
PDF_EOF_MARKER = b"%%EOF"
PDF_TAIL_BYTES = 1024
_CHUNK = 1024 * 1024


# Names that make a PDF act rather than show: scripts, launching programs, carried files.
# pypdf decodes escaped names (`/J#61vaScript` is `/JavaScript`), so each is matched as decoded.
ACTIVE_CONTENT_NAMES: dict[str, str] = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action (it starts a program)",
    "/EmbeddedFile": "an embedded file",
    "/EmbeddedFiles": "embedded files",
}


@dataclass(frozen=True)
class PdfInspection:
    sha256: str
    size: int
    pages: int


def max_upload_bytes() -> int:
    return settings.DOCUMENT_MAX_UPLOAD_MB * 1024 * 1024


def inspect_pdf(*, uploaded_file: File) -> PdfInspection:
    """Check that `uploaded_file` is a whole, readable PDF within the size limit; raises CaseError."""
    limit_mb = settings.DOCUMENT_MAX_UPLOAD_MB
    size = uploaded_file.size
    if size is None:
        raise CaseError("The file could not be read; upload it again.", field="file")
    if size > max_upload_bytes():
        raise CaseError(
            f"The file is {size / (1024 * 1024):.1f} MB; documents may be at most {limit_mb} MB. "
            "Split it into smaller PDFs.",
            field="file",
        )
    if size == 0:
        raise CaseError("The file is empty.", field="file")

    uploaded_file.seek(0)
    head = uploaded_file.read(len(PDF_MAGIC))
    if head != PDF_MAGIC:
        raise CaseError(
            "This file is not a PDF (its content does not start with %PDF-). "
            "Only PDF documents are accepted; convert or scan it to PDF first.",
            field="file",
        )
    uploaded_file.seek(max(size - PDF_TAIL_BYTES, 0))
    if PDF_EOF_MARKER not in uploaded_file.read():
        raise CaseError(
            "This PDF is incomplete (it has no end-of-file marker); the upload or the scan was cut "
            "short. Upload the complete file.",
            field="file",
        )

    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in iter(lambda: uploaded_file.read(_CHUNK), b""):
        digest.update(chunk)

    # pypdf is imported where a PDF is read: every process that loads the app (a worker, the
    # import command) would otherwise pay about 0.1 s to import it.
    from pypdf import PdfReader

    uploaded_file.seek(0)
    try:
        reader = PdfReader(uploaded_file, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CaseError("This PDF is password-protected; upload a copy without a password.", field="file")
        pages = len(reader.pages)
        active = find_active_content(reader=reader)
    except CaseError:
        raise
    except Exception as error:
        # pypdf raises many kinds of errors on damaged files; each means the same to the user.
        logger.info("refused an unreadable PDF: %s: %s", type(error).__name__, error)
        raise CaseError(
            "This PDF is damaged and cannot be opened; upload a complete, readable PDF.", field="file"
        ) from error
    finally:
        uploaded_file.seek(0)
    if pages < 1:
        raise CaseError("This PDF has no pages.", field="file")
    if active:
        logger.warning("refused a PDF with active content: %s", ", ".join(sorted(active)))
        what = " and ".join(sorted({ACTIVE_CONTENT_NAMES[name] for name in active}))
        raise CaseError(
            f"This PDF contains {what} ({', '.join(sorted(active))}), which a PDF viewer may run or "
            "open; such files are refused. Print it to a new PDF (or scan the paper) and upload that copy.",
            field="file",
        )
    return PdfInspection(sha256=digest.hexdigest(), size=size, pages=pages)


def _names_in(value: object, found: set[str], depth: int = 0) -> None:
    """Collect the active-content names among the keys and name values of one object.

    Indirect references are not followed: every indirect object is visited on its own.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if depth > 64:  # direct objects nest a few levels; pypdf refuses far deeper ones on reading
        return
    if isinstance(value, DictionaryObject):
        for key, item in value.items():
            if key in ACTIVE_CONTENT_NAMES:
                found.add(str(key))
            _names_in(item, found, depth + 1)
    elif isinstance(value, ArrayObject):
        for item in value:
            _names_in(item, found, depth + 1)
    elif isinstance(value, NameObject) and value in ACTIVE_CONTENT_NAMES:
        found.add(str(value))


def find_active_content(*, reader: PdfReader) -> set[str]:
    """The active-content names anywhere in the file: every object of the cross-reference
    tables (those in object streams included) and the trailer, reachable or not."""
    from pypdf.generic import IndirectObject

    found: set[str] = set()
    numbers: set[tuple[int, int]] = {
        (number, generation) for generation, table in reader.xref.items() for number in table
    }
    numbers.update((number, 0) for number in reader.xref_objStm)
    _names_in(reader.trailer, found)
    for number, generation in sorted(numbers):
        if number == 0:
            continue
        try:
            obj = reader.get_object(IndirectObject(number, generation, reader))
        except Exception as error:  # a damaged object is read no further; the rest still is
            logger.info("PDF object %s %s unreadable: %s", number, generation, error)
            continue
        if obj is not None:
            _names_in(obj.get_object(), found)
    return found


def _check_fields(*, kind: str, title: str, received_on: date | None) -> str:
    if kind not in DocumentKind.values:
        raise CaseError(
            f"Unknown kind of document {kind!r}; choose one of: {', '.join(DocumentKind.labels)}.",
            field="kind",
        )
    title = (title or "").strip()
    if not title:
        raise CaseError("Give the document a title (provider, type of record, dates).", field="title")
    if len(title) > cast(int, Document._meta.get_field("title").max_length):
        raise CaseError("The title is too long (200 characters at most).", field="title")
    if received_on is None:
        raise CaseError("Give the date the document was received.", field="received_on")
    if received_on > clock.today():
        raise CaseError("The date received cannot be in the future.", field="received_on")
    if received_on < EARLIEST_CASE_DATE:
        raise CaseError(
            f"The date received cannot be before {EARLIEST_CASE_DATE.isoformat()}.", field="received_on"
        )
    return title


def duplicate_message(*, existing: Document) -> str:
    return (
        f"This file is already on case {existing.case.case_number} as “{existing.title}” "
        f"(received {us_date(existing.received_on)}); it was not added again."
    )


def check_not_duplicate(*, case: Case, sha256: str) -> None:
    """Raise CaseError when the same content is already a document of `case`."""
    if case.pk is None:
        return
    existing = Document.objects.select_related("case").filter(case_id=case.pk, sha256=sha256).first()
    if existing is not None:
        raise CaseError(duplicate_message(existing=existing), field="file")


def _store_file(*, document: Document, uploaded_file: File, sha256: str) -> bool:
    """Write the PDF under its content-addressed name; True when this call wrote it."""
    storage = document.file.storage
    name = document_upload_to(document, "")
    if storage.exists(name):
        # Left by an upload whose transaction rolled back: same name means same content
        # (the name is the hash), so reuse it instead of keeping two copies.
        with storage.open(name, "rb") as existing:
            if hashlib.sha256(existing.read()).hexdigest() == sha256:
                document.file.name = name
                return False
        storage.delete(name)
    uploaded_file.seek(0)
    document.file.save(name, uploaded_file, save=False)
    return True


def _save_document(
    *,
    locked: Case,
    uploaded_file: File,
    inspection: PdfInspection,
    kind: str,
    title: str,
    received_on: date,
    by: User | None,
) -> Document:
    """Write one checked PDF of the locked case: the file, its row and its DOCUMENT_ADDED event."""
    check_not_duplicate(case=locked, sha256=inspection.sha256)
    document = Document(
        case=locked,
        kind=kind,
        title=title,
        sha256=inspection.sha256,
        size=inspection.size,
        pages=inspection.pages,
        received_on=received_on,
        uploaded_by=by if by is not None and by.is_authenticated else None,
    )
    wrote = _store_file(document=document, uploaded_file=uploaded_file, sha256=inspection.sha256)
    try:
        document.save()
        record_case_event(
            case=locked,
            by=by,
            kind=CaseEventKind.DOCUMENT_ADDED,
            data={
                "document_id": document.pk,
                "kind": kind,
                "sha256": inspection.sha256,
                "pages": inspection.pages,
                "size": inspection.size,
            },
        )
    except Exception:
        if wrote:
            document.file.storage.delete(document.file.name)
        raise
    return document


def add_document(
    *,
    case: Case,
    uploaded_file: File,
    kind: str,
    title: str,
    received_on: date,
    by: User | None,
) -> Document:
    """Store `uploaded_file` as a document of `case`; raises CaseError (nothing written) when refused."""
    title = _check_fields(kind=kind, title=title, received_on=received_on)
    inspection = inspect_pdf(uploaded_file=uploaded_file)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        return _save_document(
            locked=locked,
            uploaded_file=uploaded_file,
            inspection=inspection,
            kind=kind,
            title=title,
            received_on=received_on,
            by=by,
        )


# At most this many files in one upload (the request's size limit applies to them together).
MAX_FILES_PER_UPLOAD = 20


@dataclass(frozen=True)
class NewDocument:
    """One file of an upload and the title it gets."""

    uploaded_file: File
    title: str


class DocumentBatchError(CaseError):
    """An upload of several files refused as a whole; `problems` lists (file name, message)."""

    def __init__(self, *, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"Nothing was uploaded: {count} file{'s' if count != 1 else ''} cannot be added. "
            + " ".join(f"{name}: {message}" for name, message in self.problems),
            field="files",
        )


def title_from_file_name(name: str) -> str:
    """A title from an uploaded file's name: "PT_notes-2015.pdf" -> "PT notes 2015"."""
    stem = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if stem.lower().endswith(".pdf"):
        stem = stem[:-4]
    return " ".join(stem.replace("_", " ").replace("-", " ").split())[:200]


def add_documents(
    *,
    case_id: int,
    files: list[NewDocument],
    kind: str,
    received_on: date | None,
    by: User | None,
) -> list[Document]:
    """Add several PDFs to a case at once, with the checks of `add_document` for each: all of
    them, or none (DocumentBatchError names every file refused and why)."""
    if not files:
        raise CaseError("Choose one or more PDF files to upload.", field="files")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise CaseError(
            f"{len(files)} files were chosen; upload at most {MAX_FILES_PER_UPLOAD} at a time.", field="files"
        )
    checked: list[tuple[NewDocument, str, PdfInspection]] = []
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for new in files:
        name = str(getattr(new.uploaded_file, "name", "") or "file")
        try:
            title = _check_fields(kind=kind, title=new.title, received_on=received_on)
            inspection = inspect_pdf(uploaded_file=new.uploaded_file)
        except CaseError as error:
            if error.field in ("kind", "received_on"):  # the same for every file: said once
                raise
            problems.append((name, error.message))
            continue
        if inspection.sha256 in seen:
            problems.append((name, f"the same file as {seen[inspection.sha256]} in this upload."))
            continue
        seen[inspection.sha256] = name
        checked.append((new, title, inspection))
    if problems:
        raise DocumentBatchError(problems=problems)
    assert received_on is not None  # _check_fields refused a missing date
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case_id)
        for new, _title, inspection in checked:
            try:
                check_not_duplicate(case=locked, sha256=inspection.sha256)
            except CaseError as error:
                problems.append((str(getattr(new.uploaded_file, "name", "") or "file"), error.message))
        if problems:
            raise DocumentBatchError(problems=problems)
        return [
            _save_document(
                locked=locked,
                uploaded_file=new.uploaded_file,
                inspection=inspection,
                kind=kind,
                title=title,
                received_on=received_on,
                by=by,
            )
            for new, title, inspection in checked
        ]
