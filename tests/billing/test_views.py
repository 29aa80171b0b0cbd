"""The billing pages (/billing/) for administrators.

Bad inputs tried: a user of every other role (403) and no login (to the login page); issuing a
month typed wrong, not over yet, in the future; marking an invoice paid twice, with a date in
the future, before it was issued, with no date and with a date that is not one; a GET on a
POST-only address (405); an invoice that does not exist (404); a page number past the end.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from billing.models import Invoice
from billing.services.invoicing import issue_month
from cases.models import AccessAction, AccessLogEntry
from imr_site import roles
from tests.billing.support import billed_case
from tests.factories import UserFactory
from tests.forms_helpers import own_token, post_form
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

MAY = date(2021, 5, 1)


@pytest.fixture
def june(frozen_today):
    return frozen_today(date(2021, 6, 3))


@pytest.fixture
def admin_client(client, june):
    admin = UserFactory(username="admin1", role=roles.ADMINISTRATOR)
    client.force_login(admin)
    client.user = admin
    return client


@pytest.fixture
def invoice(june) -> Invoice:
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 4))
    billed_case(received_on=date(2020, 4, 1), outcome="ineligible", outcome_on=date(2021, 5, 6))
    return issue_month(period=MAY).invoices[0]


@pytest.mark.parametrize("role", [roles.INTAKE_STAFF, roles.CLINICAL_QA, roles.REVIEWER])
def test_only_administrators_open_the_billing_pages(client, invoice, role):
    client.force_login(UserFactory(role=role))
    for url in (
        reverse("billing:invoice_list"),
        reverse("billing:outstanding"),
        reverse("billing:invoice_detail", args=[invoice.pk]),
        reverse("billing:invoice_csv", args=[invoice.pk]),
        reverse("billing:outstanding_csv"),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("billing:mark_paid", args=[invoice.pk]),
        {"paid_on": "2021-06-02", "form_token": own_token(client)},
    )
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.paid_on is None
    client.logout()
    assert client.get(reverse("billing:invoice_list")).status_code == 302


def test_issue_a_month_from_the_page_then_again(admin_client, june):
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 4))
    page, issue = reverse("billing:invoice_list"), reverse("billing:issue")
    response = post_form(admin_client, issue, {"month": "2021-05"}, page_url=page, follow=True)
    assert "May 2021: 1 invoice(s) issued for 1 case(s), $115." in response.content.decode()
    response = post_form(admin_client, issue, {"month": "2021-05"}, page_url=page, follow=True)
    assert "May 2021: nothing new to invoice." in response.content.decode()
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("05/2021", "is not a month: write it as YYYY-MM"),
        ("2021-06", "June 2021 has not ended yet"),
        ("2022-01", "January 2022 is in the future"),
        ("", "Give the month to invoice, as YYYY-MM."),
    ],
)
def test_a_bad_month_is_a_form_error(admin_client, month, message):
    response = post_form(
        admin_client, reverse("billing:issue"), {"month": month}, page_url=reverse("billing:invoice_list")
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Invoice.objects.exists()


def test_mark_paid_once_with_a_real_date(admin_client, invoice):
    url = reverse("billing:mark_paid", args=[invoice.pk])
    page = reverse("billing:invoice_detail", args=[invoice.pk])
    for bad, message in (
        ({"paid_on": "2021-06-04"}, "The date paid cannot be in the future."),
        ({"paid_on": "2021-06-01"}, "The date paid cannot be before the invoice was issued (06/03/2021)."),
        ({"paid_on": ""}, "Give the date the payment was received."),
        ({"paid_on": "2021-02-30"}, "Enter a real date."),
    ):
        response = post_form(admin_client, url, bad, page_url=page)
        assert response.status_code == 400
        assert message in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.paid_on is None

    token = own_token(admin_client)
    response = admin_client.post(url, {"paid_on": "2021-06-03", "form_token": token}, follow=True)
    assert "Paid on 06/03/2021 (recorded by" in response.content.decode()
    # A double click (the same form sent again) answers with what the first did.
    response = admin_client.post(url, {"paid_on": "2021-06-03", "form_token": token}, follow=True)
    assert "This form was already submitted" in response.content.decode()
    invoice.refresh_from_db()
    assert (invoice.paid_on, invoice.paid_by) == (date(2021, 6, 3), admin_client.user)

    # Once paid the page offers no form; a second payment sent anyway (another tab) is refused.
    assert f'action="{url}"' not in admin_client.get(page).content.decode()
    response = admin_client.post(url, {"paid_on": "2021-06-03", "form_token": own_token(admin_client)})
    assert response.status_code == 400
    assert f"Invoice {invoice.number} was already marked paid on 06/03/2021" in response.content.decode()
    assert admin_client.get(url).status_code == 405
    assert admin_client.get(reverse("billing:invoice_detail", args=[99999])).status_code == 404


def test_outstanding_statement_per_claims_administrator(admin_client, june):
    billed_case(received_on=date(2021, 3, 1), outcome="withdrawn", outcome_on=date(2021, 4, 14))
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 4))
    billed_case(
        received_on=date(2021, 4, 1),
        outcome="withdrawn",
        outcome_on=date(2021, 5, 4),
        claims_administrator="Pacific",
    )
    april = issue_month(period=date(2021, 4, 1)).invoices[0]
    issue_month(period=MAY)
    response = admin_client.get(reverse("billing:outstanding"))
    rows = response.context["rows"]
    assert [(r["name"], r["invoice_count"], r["total_usd"]) for r in rows] == [
        ("Golden State Claims Services", 2, 230),
        ("Pacific", 1, 115),
    ]
    assert "Unpaid: 3 invoice(s), $345 in all." in response.content.decode()
    post_form(
        admin_client,
        reverse("billing:mark_paid", args=[april.pk]),
        {"paid_on": "2021-06-03"},
        page_url=reverse("billing:invoice_detail", args=[april.pk]),
    )
    rows = admin_client.get(reverse("billing:outstanding")).context["rows"]
    assert [(r["name"], r["total_usd"]) for r in rows] == [
        ("Golden State Claims Services", 115),
        ("Pacific", 115),
    ]
    statement = admin_client.get(reverse("billing:outstanding_csv")).content.decode().splitlines()
    assert statement == [
        "claims_administrator,unpaid_invoices,outstanding_usd,oldest_unpaid_issued_on",
        "Golden State Claims Services,1,115,2021-06-03",
        "Pacific,1,115,2021-06-03",
    ]
    unpaid = admin_client.get(reverse("billing:invoice_list"), {"unpaid": "1"}).context["invoices"]
    assert april.pk not in [i.pk for i in unpaid] and len(unpaid) == 2


def test_detail_and_csv_write_the_access_log(admin_client, invoice):
    response = admin_client.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    assert response.status_code == 200 and "$230" in response.content.decode()
    case_ids = set(invoice.lines.values_list("case_id", flat=True))
    viewed = AccessLogEntry.objects.filter(action=AccessAction.VIEW_CASE, user=admin_client.user)
    assert set(viewed.values_list("case_id", flat=True)) == case_ids
    response = admin_client.get(reverse("billing:invoice_csv", args=[invoice.pk]))
    assert response["Content-Type"].startswith("text/csv") and response.content.decode().count("\r\n") == 4
    exported = AccessLogEntry.objects.filter(action=AccessAction.EXPORT, user=admin_client.user)
    assert set(exported.values_list("case_id", flat=True)) == case_ids
    # The PDF is not rendered yet (its job waits in the outbox): a clear 409, not a 500.
    response = admin_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 409 and "still being prepared" in response.content.decode()


@pytest.mark.parametrize("months", [1, 5])
def test_pages_read_a_bounded_number_of_queries(admin_client, june, months, django_assert_max_num_queries):
    for month in range(1, months + 1):
        for name in ("Golden", "Pacific", "Harbor"):
            billed_case(
                received_on=date(2020, 12, 1),
                outcome="withdrawn",
                outcome_on=date(2021, month, 2),
                claims_administrator=name,
            )
        issue_month(period=date(2021, month, 1))
    invoice = Invoice.objects.first()
    for url, budget in (
        (reverse("billing:invoice_list"), 8),
        (reverse("billing:outstanding"), 8),
        (reverse("billing:invoice_detail", args=[invoice.pk]), 10),
        (reverse("billing:invoice_list") + "?page=999", 8),
    ):
        with django_assert_max_num_queries(budget + SECOND_FACTOR_QUERIES):
            assert admin_client.get(url).status_code == 200, url


def test_record_an_invoice_mailed_by_post(admin_client, june):
    billed_case(
        received_on=date(2021, 4, 1),
        outcome="withdrawn",
        outcome_on=date(2021, 5, 4),
        email=None,
        mailing_address="1 Pier Way, Oakland, CA",
    )
    [invoice] = issue_month(period=MAY).invoices
    url, page = (
        reverse("billing:mark_posted", args=[invoice.pk]),
        reverse("billing:invoice_detail", args=[invoice.pk]),
    )
    response = post_form(admin_client, url, {"mailed_on": "2021-06-04"}, page_url=page)
    assert (
        response.status_code == 400
        and "The mailing date cannot be in the future." in response.content.decode()
    )
    response = post_form(admin_client, url, {"mailed_on": "2021-06-03"}, page_url=page, follow=True)
    assert f"Invoice {invoice.number} recorded as mailed." in response.content.decode()
    assert "Post to 1 Pier Way, Oakland, CA: Mailed by post 06/03/2021" in " ".join(
        response.content.decode().split()
    )
