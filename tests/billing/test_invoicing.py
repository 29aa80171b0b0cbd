"""Monthly invoices: lines and totals, one invoice per claims administrator, each case billed once
ever, the command run twice, the PDF and the CSV, immutability.

Bad inputs tried: a month that is not YYYY-MM ("2021-13", "May 2021", ""), the month not over
yet, a future month, a month before IMR began; changing an issued invoice or line (in Python
and in raw SQL); billing a case a second time (the database constraint).
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from pypdf import PdfReader

from billing.bill_to import bill_to_key
from billing.documents import render_invoice_csv
from billing.errors import BillingError
from billing.models import Invoice, InvoiceDelivery, InvoiceLine, ReadOnlyInvoiceError
from billing.months import parse_month
from billing.services.invoicing import issue_month
from cases.models import AccessAction, AccessLogEntry, CaseEvent, CaseEventKind
from core.models import OutboxJob
from tests.billing.support import GOLDEN, billed_case
from tests.factories import make_seed_reviewer

pytestmark = pytest.mark.django_db

MAY = date(2021, 5, 1)


@pytest.fixture
def june(frozen_today):
    return frozen_today(date(2021, 6, 3))


@pytest.fixture
def may_cases(june):
    """Golden State (written two ways) with three cases in May, one in April; Pacific Claims with one."""
    number = make_seed_reviewer().reviewer_number
    return {
        "decided": billed_case(
            received_on=date(2021, 4, 2),
            outcome="determination_issued",
            outcome_on=date(2021, 5, 3),
            reviewer_number=number,
        ),
        "withdrawn": billed_case(
            received_on=date(2021, 4, 20),
            outcome="withdrawn",
            outcome_on=date(2021, 5, 31),
            claims_administrator="GOLDEN STATE  claims services.",
        ),
        "expedited": billed_case(
            received_on=date(2019, 12, 31),
            outcome="determination_issued",
            outcome_on=date(2021, 5, 10),
            reviewer_number=number,
            priority="expedited",
        ),
        "april": billed_case(
            received_on=date(2021, 3, 2), outcome="terminated", outcome_on=date(2021, 4, 30)
        ),
        "pacific": billed_case(
            received_on=date(2021, 4, 5),
            outcome="ineligible",
            outcome_on=date(2021, 5, 12),
            claims_administrator="Pacific Claims",
            email=None,
            mailing_address="1 Pier Way\nOakland, CA",
        ),
    }


def test_one_invoice_per_claims_administrator_with_lines_and_totals(
    may_cases, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = issue_month(period=MAY)
    golden, pacific = sorted(result.invoices, key=lambda i: i.bill_to_key)
    assert golden.bill_to_key == bill_to_key(GOLDEN) == "golden state claims services"
    # By hand: 345 (2021 standard, decided) + 515 (2019-12-31 expedited) + 115 (withdrawn before a reviewer).
    lines = list(golden.lines.order_by("position"))
    assert [(line.case_number, line.fee_usd, line.outcome_on) for line in lines] == [
        (may_cases["decided"].case_number, 345, date(2021, 5, 3)),
        (may_cases["expedited"].case_number, 515, date(2021, 5, 10)),
        (may_cases["withdrawn"].case_number, 115, date(2021, 5, 31)),
    ]
    assert (golden.line_count, golden.total_usd) == (3, 975)
    assert (pacific.line_count, pacific.total_usd) == (1, 115)
    assert golden.number == "INV-202105-0001" and pacific.number == "INV-202105-0002"
    assert golden.issued_on == date(2021, 6, 3) and golden.paid_on is None
    # The April case is not on May's invoices.
    assert not InvoiceLine.objects.filter(case=may_cases["april"]).exists()
    # Deliveries are recorded with the invoice: email when the administrator has one, else the post.
    assert (
        golden.delivery.channel == "email"
        and golden.delivery.address == "ur-desk@goldenstateclaims.example.com"
    )
    assert pacific.delivery.channel == "post" and pacific.delivery.status == "to_post"
    assert pacific.delivery.address == "1 Pier Way\nOakland, CA"
    # The PDF was rendered by the outbox job (executed on commit): the letter's layout, the lines.
    golden.refresh_from_db()
    assert golden.sha256 and golden.pages >= 1
    with golden.pdf.open("rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    assert "Independent Medical Review Invoice" in text and "INV-202105-0001" in text
    assert "IMR Invoice" in text and "Final Determination" not in text  # its own running header
    assert "May 2021" in text and "$975.00" in text and may_cases["expedited"].case_number in text


def test_the_csv_has_one_row_per_case_and_the_total(may_cases):
    [golden, _] = sorted(issue_month(period=MAY).invoices, key=lambda i: i.bill_to_key)
    rows = list(csv.DictReader(io.StringIO(render_invoice_csv(invoice=golden))))
    assert [r["case_number"] for r in rows[:-1]] == list(golden.lines.values_list("case_number", flat=True))
    assert [r["fee_usd"] for r in rows] == ["345", "515", "115", "975"]
    assert rows[1]["fee_basis"] == "2014 schedule: expedited review"
    assert rows[2]["ended_before_reviewer"] == "yes" and rows[-1]["case_number"] == "TOTAL"


def test_the_command_twice_issues_nothing_new(may_cases):
    out = io.StringIO()
    call_command("invoice_month", "2021-05", stdout=out)
    assert "2 invoice(s), 4 case(s), $1090." in out.getvalue()
    logged = AccessLogEntry.objects.filter(
        action=AccessAction.CHANGE, object_repr__startswith="billed on invoice"
    )
    assert logged.count() == 4 and all(entry.os_user and entry.command for entry in logged)
    jobs = OutboxJob.objects.count()
    again = io.StringIO()
    call_command("invoice_month", "2021-05", stdout=again)
    assert again.getvalue().strip() == "May 2021: nothing new to invoice."
    assert Invoice.objects.count() == 2 and InvoiceLine.objects.count() == 4
    assert InvoiceDelivery.objects.count() == 2 and OutboxJob.objects.count() == jobs


def test_a_case_recorded_late_for_an_invoiced_month_goes_on_a_supplementary_invoice(may_cases):
    issue_month(period=MAY)
    late = billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 20))
    [supplementary] = issue_month(period=MAY).invoices
    assert (supplementary.bill_to_key, supplementary.sequence, supplementary.number) == (
        "golden state claims services",
        2,
        "INV-202105-0003",
    )
    assert list(supplementary.lines.values_list("case_id", flat=True)) == [late.pk]


def test_a_case_is_billed_once_ever(may_cases):
    issue_month(period=MAY)
    # A remanded case issued again in June is not billed again (its first outcome was in May).
    decided = may_cases["decided"]
    CaseEvent.objects.create(
        case=decided,
        kind=CaseEventKind.TRANSITION,
        from_status="qa_review",
        to_status="determination_issued",
        effective_on=date(2021, 6, 1),
    )
    assert issue_month(period=date(2021, 4, 1)).cases_billed == 1  # the April case only
    # The database itself refuses a second line for a case.
    invoice = Invoice.objects.filter(period=MAY).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=invoice,
            case=decided,
            position=99,
            case_number=decided.case_number,
            received_on=date(2021, 4, 2),
            priority="standard",
            outcome="determination_issued",
            outcome_on=date(2021, 6, 1),
            pharmacy_only=False,
            ended_before_reviewer=False,
            fee_usd=345,
            fee_basis="again",
        )


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2021-13", "'2021-13' is not a month: write it as YYYY-MM"),
        ("May 2021", "'May 2021' is not a month"),
        ("", "'' is not a month"),
        (
            "2021-06",
            "June 2021 has not ended yet: a month is invoiced from the first day of the next (2021-07-01)",
        ),
        ("2021-09", "September 2021 is in the future"),
        ("2012-12", "IMR fees begin in January 2013"),
    ],
)
def test_bad_months_are_refused_with_a_clear_message(june, month, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("invoice_month", month, stdout=io.StringIO())
    assert not Invoice.objects.exists()


def test_parse_month_reads_yyyy_mm():
    assert parse_month(" 2026-05 ") == date(2026, 5, 1)
    with pytest.raises(BillingError):
        parse_month("2026-5")


def test_issued_invoices_and_lines_never_change(may_cases):
    invoice = issue_month(period=MAY).invoices[0]
    invoice = Invoice.objects.get(pk=invoice.pk)
    invoice.total_usd = 1
    with pytest.raises(ReadOnlyInvoiceError, match="cannot be changed \\(total_usd\\)"):
        invoice.save()
    with pytest.raises(ReadOnlyInvoiceError):
        Invoice.objects.get(pk=invoice.pk).delete()
    line = InvoiceLine.objects.filter(invoice=invoice).first()
    line.fee_usd = 1
    with pytest.raises(ReadOnlyInvoiceError):
        line.save()
    if connection.vendor == "postgresql":
        for statement in (
            "UPDATE billing_invoiceline SET fee_usd = 1",
            "DELETE FROM billing_invoiceline",
            "UPDATE billing_invoice SET total_usd = 1",
            "DELETE FROM billing_invoice",
        ):
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert sorted(InvoiceLine.objects.values_list("fee_usd", flat=True)) == [115, 115, 345, 515]


def test_the_beat_task_invoices_the_month_that_ended(frozen_today, settings):
    from celery.schedules import crontab

    from billing.tasks import invoice_previous_month

    entry = settings.CELERY_BEAT_SCHEDULE["monthly-invoices"]
    assert entry["task"] == invoice_previous_month.name
    assert entry["schedule"] == crontab(day_of_month=1, hour=5, minute=0)
    frozen_today(date(2021, 5, 20))
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 4, 28))
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 19))
    frozen_today(date(2021, 6, 1))
    assert invoice_previous_month.apply().get() == {"month": "2021-05", "invoices": 1, "cases": 1}
    assert invoice_previous_month.apply().get() == {"month": "2021-05", "invoices": 0, "cases": 0}
    assert list(Invoice.objects.values_list("period", flat=True)) == [MAY]


def test_markup_in_a_claims_administrator_name_is_text_in_the_pdf(
    frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(date(2021, 6, 3))
    name = 'Evil <img src="http://example.com/x.png"> Claims'
    billed_case(
        received_on=date(2021, 4, 1),
        outcome="withdrawn",
        outcome_on=date(2021, 5, 4),
        claims_administrator=name,
    )
    with django_capture_on_commit_callbacks(execute=True):
        [invoice] = issue_month(period=MAY).invoices
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    assert '<img src="http://example.com/x.png">' in " ".join(text.split())


@pytest.mark.parametrize(
    ("day", "previous", "following"),
    [
        (date(2021, 1, 1), date(2020, 12, 1), date(2021, 2, 1)),
        (date(2021, 12, 31), date(2021, 11, 1), date(2022, 1, 1)),
        (date(2020, 3, 1), date(2020, 2, 1), date(2020, 4, 1)),
    ],
)
def test_month_arithmetic_across_years(day, previous, following):
    from billing.months import next_month, previous_month

    assert previous_month(day) == previous
    assert next_month(day.replace(day=1)) == following
