"""`export_access_log (--case N | --user NAME) --from DATE --to DATE [--output FILE]`: the
access log of one case or one user over a date range, as CSV. The export is logged itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cases.models import AccessAction, Case
from cases.selectors import access_log_entries
from cases.services.audit import log_command_access, write_access_log_csv


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from error


class Command(BaseCommand):
    help = "Export the access log of a case or a user for a date range as CSV (stdout by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", dest="case_number", metavar="CASE_NUMBER")
        parser.add_argument("--user", dest="username", metavar="USERNAME")
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--output", type=Path, metavar="FILE")

    def handle(
        self,
        *args,
        case_number: str | None,
        username: str | None,
        start: str,
        end: str,
        output: Path | None,
        **options,
    ) -> None:
        if not case_number and not username:
            raise CommandError("give --case CASE_NUMBER, --user USERNAME or both")
        first, last = _day(start), _day(end)
        if last < first:
            raise CommandError(f"--to {last} is before --from {first}")
        case = None
        if case_number:
            case = Case.objects.filter(case_number=case_number).first()
            if case is None:
                raise CommandError(f"unknown case number: {case_number}")
        if username and not get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"unknown user: {username}")
        entries = access_log_entries(start=first, end=last, case_number=case_number, username=username)
        what = " ".join(
            part
            for part in (
                f"case {case_number}" if case_number else "",
                f"user {username}" if username else "",
                f"{first.isoformat()} to {last.isoformat()}",
            )
            if part
        )
        with transaction.atomic():
            # Logged first, in the same transaction: an export that fails leaves no claim of one.
            log_command_access(
                case_ids=[case.pk if case is not None else None],
                action=AccessAction.EXPORT,
                object_repr=f"access log export: {what}",
            )
            try:
                if output is None:
                    count = write_access_log_csv(entries=entries.iterator(), stream=self.stdout)
                else:
                    with output.open("w", encoding="utf-8", newline="") as stream:
                        count = write_access_log_csv(entries=entries.iterator(), stream=stream)
            except OSError as error:
                raise CommandError(f"cannot write {output}: {error.strerror or error}") from error
        self.stderr.write(f"exported: {count} access log entries ({what})")
