"""`import_cases FILE [FILE ...]`: import cases in the imr-case/1 format (.json or .jsonl)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.services.intake import ImportReport, import_cases_file


class Command(BaseCommand):
    help = (
        "Import cases from .json (one object or an array) or .jsonl files in the imr-case/1 format. "
        "Each case is imported whole or not at all; errors go to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args, files: list[Path], **options) -> None:
        report = ImportReport()
        for path in files:
            report.merge(import_cases_file(path=path))
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(f"imported: {len(report.imported)}, refused: {report.refused}")
        if report.refused or report.failed_files:
            # A non-zero exit status tells a script that something was not imported.
            raise CommandError(
                f"{report.refused} case(s) refused, {report.failed_files} file(s) unreadable", returncode=1
            )
