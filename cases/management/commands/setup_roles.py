from django.core.management.base import BaseCommand

from imr_site.roles import ensure_role_groups


class Command(BaseCommand):
    help = "Create or update the role groups (Intake staff, Clinical QA, Reviewer, Administrator)."

    def handle(self, *args, **options) -> None:
        groups = ensure_role_groups()
        for name, group in groups.items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
