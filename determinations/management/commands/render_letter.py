"""Write a case's Final Determination letter to a PDF file.

An issued letter is written byte for byte as stored (its latest version); any other
decided case (imported past cases included) is rendered fresh and marked DRAFT.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import AccessAction
from cases.services.audit import log_command_access
from determinations.letter_selectors import letter_source_for_case
from determinations.letters import render_letter_pdf


class Command(BaseCommand):
    help = "Render the Final Determination letter of CASE_NUMBER to --output FILE.pdf."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case_number")
        parser.add_argument("--output", "-o", required=True, help="Where to write the PDF.")

    def handle(self, *args, case_number: str, output: str, **options) -> None:
        determination, letter, problem = letter_source_for_case(case_number=case_number.strip())
        if problem or determination is None:
            raise CommandError(problem)
        if letter is not None:
            with letter.pdf.open("rb") as stored:
                data = stored.read()
            what = f"issued letter v{letter.version} (SHA-256 {letter.sha256[:12]}...)"
        else:
            data = render_letter_pdf(determination=determination, draft=True)
            what = "DRAFT letter"
        log_command_access(
            case_ids=[determination.case_id],
            action=AccessAction.VIEW_LETTER,
            object_repr=f"render_letter: {what} to {output}"[:200],
        )
        path = Path(output)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror or error}") from error
        self.stdout.write(f"{case_number}: wrote the {what} to {path} ({len(data)} bytes)")
