"""Publish every issued determination to the decision library (rows and redacted letter).

For past cases imported with their determination (they never pass through issuing) and to
catch up after a broker outage. Idempotent: a published determination is rewritten the same.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from determinations.models import Determination, DeterminationStatus
from library.services.publication import PUBLISHED_CASE_STATUSES, publish_determination


class Command(BaseCommand):
    help = "Publish issued determinations (redacted) to the public decision library."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--case", action="append", default=[], help="Only this case number (repeatable).")
        parser.add_argument(
            "--no-letters",
            action="store_true",
            help="Write the search rows only; each redacted letter is made on its first download.",
        )

    def handle(self, *args, case: list[str], no_letters: bool, **options) -> None:
        determinations = Determination.objects.current().filter(
            status=DeterminationStatus.ISSUED, case__status__in=PUBLISHED_CASE_STATUSES
        )
        if case:
            determinations = determinations.filter(case__case_number__in=[n.upper() for n in case])
        published = items = 0
        for determination_id in determinations.order_by("pk").values_list("pk", flat=True).iterator():
            items += len(publish_determination(determination_id=determination_id, make_letter=not no_letters))
            published += 1
        self.stdout.write(f"published: {published} determination(s), {items} item(s)")
