"""`python manage.py refresh_report_rollups [--full]`: what the periodic task does, by hand
(`--full` recounts every day, e.g. after importing past cases in bulk)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from reports.rollups import refresh_changed
from reports.snapshots import refresh_snapshots


class Command(BaseCommand):
    help = "Recount the decisions rollup of the reports (the changed days; --full: every day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true")

    def handle(self, *args, full: bool, **options) -> None:
        result = refresh_changed(full=full)
        refresh_snapshots()
        self.stdout.write(f"recounted {result['days']} days: {result['rows']} rows")
