"""`python manage.py report KIND --from DATE --to DATE [--format csv|json]`: a report on stdout.

The same reports as /reports/ (reports.selectors). A report that lists cases writes an access-log
row per case with the OS user and the command line.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import clock
from reports import export
from reports.errors import ReportError
from reports.periods import parse_period
from reports.selectors import KINDS, report_kind, run_report
from reports.services import log_report_read


class Command(BaseCommand):
    help = "Print a report for a period as CSV (default) or JSON. Reports: " + ", ".join(KINDS)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"one of: {', '.join(KINDS)}")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day (included), YYYY-MM-DD")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, kind: str, start: str, end: str, format: str, **options) -> None:
        try:
            report_kind(kind)
            period = parse_period(start=start, end=end)
        except ReportError as error:
            raise CommandError(error.message) from None
        result = run_report(kind=kind, period=period, today=clock.today())
        log_report_read(result=result, user=None, request=None, export=True)
        if format == "json":
            self.stdout.write(export.as_json(result))
        else:
            export.write_csv(result, self.stdout)
