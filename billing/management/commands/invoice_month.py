"""`python manage.py invoice_month YYYY-MM`: issue the month's invoices (a repeat issues nothing new)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from billing.models import InvoiceLine
from billing.months import month_label, parse_month
from billing.services.invoicing import issue_month
from cases.models import AccessAction
from cases.services.audit import log_command_access
from core.errors import DomainError


class Command(BaseCommand):
    help = "Issue one invoice per claims administrator for the cases that reached their outcome in a month."

    def add_arguments(self, parser) -> None:
        parser.add_argument("month", help="The month to invoice, YYYY-MM (it must be over).")

    def handle(self, *args, month: str, **options) -> None:
        try:
            result = issue_month(period=parse_month(month))
        except DomainError as error:
            raise CommandError(error.message) from error
        label = month_label(result.period)
        for case_number, why in result.not_billed:
            self.stderr.write(f"not billed: {case_number}: {why}")
        if not result.invoices:
            self.stdout.write(f"{label}: nothing new to invoice.")
            return
        for invoice in result.invoices:
            # The invoice copies each case's numbers: logged as a change made by this command.
            log_command_access(
                case_ids=InvoiceLine.objects.filter(invoice=invoice).values_list("case_id", flat=True),
                action=AccessAction.CHANGE,
                object_repr=f"billed on invoice {invoice.number}",
            )
            self.stdout.write(
                f"{invoice.number}  {invoice.bill_to_name}  "
                f"{invoice.line_count} case(s)  ${invoice.total_usd}"
            )
        self.stdout.write(
            f"{label}: {len(result.invoices)} invoice(s), {result.cases_billed} case(s), ${result.total_usd}."
        )
