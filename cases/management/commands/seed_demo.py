from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo data (placeholder)."

    def handle(self, *args, **options) -> None:
        self.stdout.write("No demo data yet.")
