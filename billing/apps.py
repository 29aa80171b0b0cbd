from django.apps import AppConfig


class BillingConfig(AppConfig):
    """The top layer: fees of cases, monthly invoices to claims administrators, their delivery
    and payment. Reads cases (fees, parties) and reuses determinations' letter styles."""

    name = "billing"
    verbose_name = "Fees and invoices"

    def ready(self) -> None:
        # Registers the outbox job kinds (core.outbox): render an invoice, email it.
        from billing import jobs  # noqa: F401
