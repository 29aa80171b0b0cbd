from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from exchange.services.demo import DEMO_PASSWORD, DEMO_REVIEWERS, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo users' logins (username, role, password)."

    def handle(self, *args, **options) -> None:
        existing = set(get_user_model().objects.values_list("username", flat=True))
        rows = [(u.username, u.role, u.what_to_try) for u in DEMO_USERS]
        rows += [
            (r.username, f"Reviewer {r.reviewer_number}", ", ".join(r.certifications))
            for r in DEMO_REVIEWERS
            if r.username not in {u.username for u in DEMO_USERS}
        ]
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for username, role, note in rows:
            missing = "" if username in existing else "  [not created yet: run seed_demo]"
            self.stdout.write(f"  {username:<10} {DEMO_PASSWORD}  {role:<16} {note}{missing}")
        if settings.OTP_REQUIRED:
            self.stdout.write(
                "Second factor: required (DEBUG is off). Each user sets up an authenticator app at "
                "the first log-in (a QR code) and gets backup codes."
            )
        else:
            self.stdout.write(
                "Second factor: not required while DEBUG is on (the demo); a user who sets one up "
                "(click your username) is asked for it from then on."
            )
