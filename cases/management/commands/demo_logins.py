from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the demo users' logins."

    def handle(self, *args, **options) -> None:
        self.stdout.write("Demo logins: see seed_demo.")
