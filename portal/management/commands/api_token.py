"""`api_token --organization NAME [--kind claims_administrator|provider_office]`: a new API token.

Creates the organization when it does not exist, then a token, and prints the token once: only
its hash is stored (revoke it in the admin: Portal > Organization API tokens).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.errors import DomainError
from portal.models import OrganizationKind
from portal.services.organizations import create_api_token, get_or_create_organization


class Command(BaseCommand):
    help = "Create an API token for an organization (made when missing); prints the token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, metavar="NAME")
        parser.add_argument(
            "--kind", choices=OrganizationKind.values, default=OrganizationKind.CLAIMS_ADMINISTRATOR
        )
        parser.add_argument(
            "--name", default="API token", help="A label for the token (50 characters at most)."
        )

    def handle(self, *args, organization: str, kind: str, name: str, **options) -> None:
        try:
            with transaction.atomic():
                found = get_or_create_organization(name=organization, kind=kind)
                token = create_api_token(organization=found, name=name)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stderr.write(f"Token for {found.name} (kept only as a hash; it is not shown again):")
        self.stdout.write(token)
