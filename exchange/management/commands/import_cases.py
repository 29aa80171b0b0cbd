"""`import_cases FILE [FILE ...]`: import cases in the imr-case/1 format (.json or .jsonl)."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.services.intake import IMPORT_BATCH_SIZE, IMPORT_PROCESSES, ImportReport, import_cases_file

logger = logging.getLogger(__name__)


def printable(text: str) -> str:
    """`text` safe to print: a lone surrogate (e.g. from a file name) is shown escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Command(BaseCommand):
    # Django's system checks look at the configuration (`manage.py check`, `migrate` and the
    # deploy check run them); a data command run for every file skips their 0.25 s.
    requires_system_checks: list[str] = []
    help = (
        "Import cases from .json (one object or an array) or .jsonl files in the imr-case/1 format. "
        "Each case is imported whole or not at all; errors go to stderr. Cases are written in batches "
        "(one transaction each); a batch the database refuses is retried case by case."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=IMPORT_BATCH_SIZE,
            help=f"Cases written per transaction (default {IMPORT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=IMPORT_PROCESSES,
            help=(
                f"Processes writing batches on PostgreSQL (default {IMPORT_PROCESSES}); this one checks the "
                "cases and numbers them in file order. 1: write here, batch after batch."
            ),
        )

    def handle(self, *args, files: list[Path], batch_size: int, processes: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        report = ImportReport()
        for path in files:
            try:
                report.merge(import_cases_file(path=path, batch_size=batch_size, processes=processes))
            except Exception as failure:  # one bad file never stops the others
                # The importer reports what it knows about; anything else still names the file,
                # and the remaining files are imported and counted.
                logger.exception("import_cases: %s failed", printable(str(path)))
                report.failed_files += 1
                report.errors.append(
                    f"{printable(path.name)}: could not be imported ({type(failure).__name__}); "
                    "cases of this file written before the error stay imported"
                )
        for message in report.errors:
            self.stderr.write(printable(message))
        self.stdout.write(f"imported: {len(report.imported)}, refused: {report.refused}")
        if report.refused or report.failed_files:
            # A non-zero exit status tells a script that something was not imported.
            raise CommandError(
                f"{report.refused} case(s) refused, {report.failed_files} file(s) unreadable", returncode=1
            )
