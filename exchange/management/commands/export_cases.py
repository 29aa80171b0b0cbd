"""`export_cases [--case N ...] [--output FILE]`: write cases as imr-case/1 JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import AccessAction, Case
from cases.services.audit import log_command_access
from exchange.export import export_cases


class Command(BaseCommand):
    help = "Export cases in the imr-case/1 format, one JSON object per line (stdout by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--case",
            action="extend",
            nargs="+",
            dest="case_numbers",
            metavar="CASE_NUMBER",
            help="One or more case numbers; the option may also be repeated.",
        )
        parser.add_argument("--output", type=Path, metavar="FILE")

    def handle(self, *args, case_numbers: list[str] | None, output: Path | None, **options) -> None:
        if case_numbers:
            known = set(
                Case.objects.filter(case_number__in=case_numbers).values_list("case_number", flat=True)
            )
            unknown = [number for number in case_numbers if number not in known]
            if unknown:
                raise CommandError(f"unknown case number(s): {', '.join(unknown)}")
        exported = Case.objects.all()
        if case_numbers:
            exported = exported.filter(case_number__in=case_numbers)
        # Every exported case is a read of its PHI: one access-log row each, with the OS user
        # and the command line, written before any data leaves.
        log_command_access(
            case_ids=exported.values_list("pk", flat=True).iterator(),
            action=AccessAction.EXPORT,
            object_repr=f"export_cases to {output or 'stdout'}"[:200],
        )
        lines = (json.dumps(data, ensure_ascii=False) for data in export_cases(case_numbers=case_numbers))
        if output is None:
            for line in lines:
                self.stdout.write(line)
            return
        count = 0
        try:
            with output.open("w", encoding="utf-8") as stream:
                for line in lines:
                    stream.write(line + "\n")
                    count += 1
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}") from error
        self.stderr.write(f"exported: {count} to {output}")
