from django.core.management.base import BaseCommand, CommandError

from cases.errors import IntakeError
from exchange.services.demo import seed_demo_data


class Command(BaseCommand):
    help = "Load the demo data: role groups, one user per role, reviewers and cases (safe to run twice)."

    def handle(self, *args, **options) -> None:
        try:
            report = seed_demo_data()
        except IntakeError as error:
            raise CommandError(f"A demo case was refused: {error}") from error
        self.stdout.write(
            f"Demo data: {len(report.created_users)} users and {len(report.created_reviewers)} reviewers "
            f"created, {len(report.imported_cases)} cases imported ({report.documents} documents), "
            f"{len(report.skipped_cases)} cases already present."
        )
