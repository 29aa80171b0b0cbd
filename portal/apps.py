from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The parties' side: organizations and their users, the records portal, the per-party links,
    the status page and the REST API (`/api/v1/`). It stands on top: it submits cases through
    exchange's import rules and reads cases, determinations and their letters."""

    name = "portal"
    verbose_name = "Parties' portal and API"

    def ready(self) -> None:
        # Registers the receipt email's outbox kind (core.outbox) and the case page's flag of new
        # records (cases.hooks); no queries here.
        from portal import hooks, jobs, signals  # noqa: F401
