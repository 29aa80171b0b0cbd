"""Reads of the billing app: what a month bills, invoices, their lines, what is outstanding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Min, OuterRef, QuerySet, Subquery, Sum

from billing.bill_to import BILL_TO_ROLE, BillTo
from billing.models import Invoice, InvoiceLine
from billing.months import next_month
from cases import fees
from cases.models import Case, CaseEvent, CaseEventKind, DisputedItem, Party


@dataclass(frozen=True)
class BillableCase:
    case_id: int
    case_number: str
    claim_number: str
    received_on: date
    priority: str
    outcome: str
    outcome_on: date
    reached_reviewer: bool
    pharmacy_only: bool
    ended_before_reviewer: bool
    fee_usd: int | None
    bill_to: BillTo | None

    @property
    def fee_basis(self) -> str:
        """Which row of the schedule applies, in the words of domain.md."""
        era = (
            "2013 schedule"
            if self.received_on < date(2014, 4, 1)
            else "2014 schedule"
            if self.received_on < date(2020, 1, 1)
            else "2020 schedule"
        )
        if self.ended_before_reviewer and self.received_on >= date(2014, 4, 1):
            return f"{era}: ended before a reviewer"
        kind = "expedited" if self.priority == "expedited" else "standard"
        if self.pharmacy_only and era == "2014 schedule" and kind == "standard":
            kind = "pharmacy only"
        return f"{era}: {kind} review"


def _bill_to_party(field: str) -> Subquery:
    return Subquery(Party.objects.filter(case=OuterRef("pk"), role=BILL_TO_ROLE).values(field)[:1])


def billable_cases(*, period: date) -> list[BillableCase]:
    """Cases not yet billed whose billing outcome (cases.fees) fell in the month of `period`.

    A case bills in the month it first reached its outcome: the letter issued, or the case
    withdrawn, terminated or found ineligible. Two queries, whatever the number of cases.
    """
    start, end = period, next_month(period)
    in_month = CaseEvent.objects.filter(
        kind=CaseEventKind.TRANSITION,
        to_status__in=fees.BILLING_OUTCOMES,
        effective_on__gte=start,
        effective_on__lt=end,
    ).values("case_id")
    rows = list(
        Case.objects.filter(pk__in=in_month, invoice_line__isnull=True)
        .annotate(
            outcome_on=fees.outcome_on_expression(),
            outcome=fees.outcome_expression(),
            reached_reviewer=fees.reached_reviewer_expression(),
            bill_to_name=_bill_to_party("name"),
            bill_to_email=_bill_to_party("email"),
            bill_to_address=_bill_to_party("mailing_address"),
            claim_number=_bill_to_party("claim_number"),
        )
        .filter(outcome_on__gte=start, outcome_on__lt=end)
        .order_by("outcome_on", "case_number")
        .values(
            "pk",
            "case_number",
            "received_on",
            "priority",
            "outcome_on",
            "outcome",
            "reached_reviewer",
            "bill_to_name",
            "bill_to_email",
            "bill_to_address",
            "claim_number",
        )
    )
    categories: dict[int, list[str]] = {}
    for case_id, category in DisputedItem.objects.filter(case_id__in=[r["pk"] for r in rows]).values_list(
        "case_id", "category"
    ):
        categories.setdefault(case_id, []).append(category)
    billable = []
    for row in rows:
        items = categories.get(row["pk"], [])
        name = (row["bill_to_name"] or "").strip()
        billable.append(
            BillableCase(
                case_id=row["pk"],
                case_number=row["case_number"],
                claim_number=row["claim_number"] or "",
                received_on=row["received_on"],
                priority=row["priority"],
                outcome=row["outcome"],
                outcome_on=row["outcome_on"],
                reached_reviewer=row["reached_reviewer"],
                pharmacy_only=fees.is_pharmacy_only(items),
                ended_before_reviewer=fees.ended_before_reviewer(
                    outcome=row["outcome"], reached_reviewer=row["reached_reviewer"]
                ),
                fee_usd=fees.case_fee_usd(
                    received_on=row["received_on"],
                    priority=row["priority"],
                    categories=items,
                    outcome=row["outcome"],
                    reached_reviewer=row["reached_reviewer"],
                ),
                bill_to=BillTo.from_party(
                    name=name, email=row["bill_to_email"] or "", mailing_address=row["bill_to_address"] or ""
                )
                if name
                else None,
            )
        )
    return billable


def invoices(*, bill_to_key: str = "", unpaid_only: bool = False) -> QuerySet[Invoice]:
    """Invoices newest month first, with their delivery (one query per page)."""
    queryset = Invoice.objects.select_related("delivery")
    if bill_to_key:
        queryset = queryset.filter(bill_to_key=bill_to_key)
    if unpaid_only:
        queryset = queryset.filter(paid_on__isnull=True)
    return queryset.order_by("-period", "bill_to_key", "sequence", "pk")


def invoice_lines(*, invoice: Invoice) -> QuerySet[InvoiceLine]:
    return InvoiceLine.objects.filter(invoice=invoice).order_by("position")


def outstanding_by_bill_to() -> QuerySet:
    """What each claims administrator owes: unpaid invoices, their total and the oldest, most owed first."""
    return (
        Invoice.objects.filter(paid_on__isnull=True)
        .values("bill_to_key")
        .annotate(
            name=Max("bill_to_name"),
            invoice_count=Count("pk"),
            total_usd=Sum("total_usd"),
            oldest_issued_on=Min("issued_on"),
        )
        .order_by("-total_usd", "bill_to_key")
    )


def outstanding_total() -> dict:
    return Invoice.objects.filter(paid_on__isnull=True).aggregate(
        invoice_count=Count("pk"), total_usd=Sum("total_usd")
    )
