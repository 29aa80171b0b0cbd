"""One list of recipients: the parties the letter names as copied are exactly its deliveries.

Issue 9: with an attorney on file the letter said a copy went to the employee while no
delivery to the employee existed. Cases tried: no attorney (the seed case), an attorney with
and without email, parties with no email at all (post), a party with neither email nor
postal address, a corrected letter after an attorney was added, an organization equal to
the name (never printed twice). "Mailed on" for a delivery with no postal address is refused.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from cases.models import Party, PartyRole
from determinations.letter_selectors import letter_recipients
from determinations.letters import render_letter_html
from determinations.models import Delivery, DeliveryChannel, DeliveryStatus, DeterminationStatus
from determinations.services.delivery import DeliveryError, mark_posted
from determinations.services.letters import correct_letter, issue_letter
from tests.determinations.letters_support import approve, approved_seed_determination, body_text
from tests.factories import PartyFactory, UserFactory

pytestmark = pytest.mark.django_db

COPIES_HEADING = "COPIES OF THIS LETTER WERE SENT TO"


def _copies_in_pdf(pdf: bytes) -> str:
    """The copies section of the PDF's text (the last section of the letter), normalized."""
    text = body_text(pdf)
    assert text.count(COPIES_HEADING) == 1
    return text.split(COPIES_HEADING, 1)[1].strip()


def _copies_in_html(html: str) -> list[str]:
    return [" ".join(unescape(m).split()) for m in re.findall(r'<p class="copy">(.*?)</p>', html, re.S)]


def _deliveries_as_named(letter) -> list[str]:
    return [
        f"{d.get_recipient_role_display()}: {d.recipient_name}"
        for d in letter.deliveries.filter(resend_of__isnull=True).order_by("id")
    ]


def _attorney(case, **fields) -> Party:
    defaults = {
        "role": PartyRole.ATTORNEY,
        "name": "Ada Counsel",
        "organization": "Counsel & Co LLP",
        "email": "ada@counsel.example.com",
        "mailing_address": "1 Law Plaza\nSacramento, CA 95814",
    }
    return PartyFactory(case=case, **{**defaults, **fields})


def _no_attorney(case) -> None:
    pass


def _attorney_with_email(case) -> None:
    _attorney(case)


def _attorney_by_post_employee_by_post(case) -> None:
    _attorney(case, email="")
    case.parties.filter(role=PartyRole.EMPLOYEE).update(email="")


def _nobody_has_email(case) -> None:
    _attorney(case, email="")
    case.parties.update(email="")


def _party_with_no_address_at_all(case) -> None:
    _attorney(case, email="", mailing_address="")
    case.parties.filter(role=PartyRole.EMPLOYER).update(email="", mailing_address="")


@pytest.mark.parametrize(
    "arrange",
    [
        _no_attorney,
        _attorney_with_email,
        _attorney_by_post_employee_by_post,
        _nobody_has_email,
        _party_with_no_address_at_all,
    ],
)
def test_parties_named_as_copied_are_exactly_the_deliveries(arrange, django_capture_on_commit_callbacks):
    determination = approved_seed_determination()
    case = determination.case
    arrange(case)
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(determination_id=determination.pk)

    named = _deliveries_as_named(letter)
    # The issued PDF (what the parties read) names exactly the deliveries, in the same order.
    assert _copies_in_pdf(letter.pdf.read()) == " ".join(named)
    # And the HTML the PDF is made from, line by line.
    assert _copies_in_html(render_letter_html(determination=determination, draft=False)) == named

    roles = [d.recipient_role for d in letter.deliveries.order_by("id")]
    # The employee always receives the letter; the attorney too when there is one.
    assert roles[0] == PartyRole.EMPLOYEE
    assert (PartyRole.ATTORNEY in roles) == case.parties.filter(role=PartyRole.ATTORNEY).exists()
    assert len(roles) == case.parties.count() == len(set(roles))
    for delivery in letter.deliveries.select_related("party"):
        party = delivery.party
        if party.email:
            assert (delivery.channel, delivery.address) == (DeliveryChannel.EMAIL, party.email)
        else:
            assert (delivery.channel, delivery.status) == (DeliveryChannel.POST, DeliveryStatus.TO_POST)
            assert delivery.address == party.mailing_address


def test_the_seed_case_copies_list_is_unchanged_by_the_one_list():
    """No attorney: employee, requesting provider, claims administrator, employer, as before."""
    determination = approved_seed_determination()
    assert [(r.role_label, r.name) for r in letter_recipients(case=determination.case)] == [
        ("Employee", "Maria Example"),
        ("Requesting provider", "Dr. Alan Treating"),
        ("Claims administrator", "Golden State Claims Services"),
        ("Employer", "Central Valley Packing Co."),
    ]


def test_organization_equal_to_the_name_is_printed_once():
    # The parties are written before the determination is approved (its case's record is then final).
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    determination.case.parties.filter(role=PartyRole.EMPLOYER).update(
        organization="Central Valley Packing Co."
    )
    approve(determination)
    html = render_letter_html(determination=determination, draft=False)
    assert "Employer: Central Valley Packing Co." in _copies_in_html(html)
    assert "Central Valley Packing Co., Central Valley Packing Co." not in html


def test_corrected_letter_names_and_delivers_to_the_attorney_added_since(django_capture_on_commit_callbacks):
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=True):
        first = issue_letter(determination_id=determination.pk)
    first_pdf = first.pdf.read()
    _attorney(determination.case)
    with django_capture_on_commit_callbacks(execute=True):
        second = correct_letter(determination_id=determination.pk, by=None, reason="Attorney now on file")
    assert "Employee's attorney: Ada Counsel, Counsel & Co LLP" in _deliveries_as_named(second)
    assert _copies_in_pdf(second.pdf.read()) == " ".join(_deliveries_as_named(second))
    # The letter already issued is unchanged: same bytes, same copies, same deliveries.
    first.refresh_from_db()
    assert first.pdf.read() == first_pdf
    assert _copies_in_pdf(first_pdf) == " ".join(_deliveries_as_named(first))
    assert "attorney" not in _copies_in_pdf(first_pdf).lower()


def _issued_with_unaddressed_attorney(django_capture_on_commit_callbacks):
    determination = approved_seed_determination()
    attorney = _attorney(determination.case, email="", mailing_address="  ")
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(determination_id=determination.pk)
    return letter, attorney, letter.deliveries.get(recipient_role=PartyRole.ATTORNEY)


def test_mailed_on_is_refused_for_a_delivery_without_postal_address(django_capture_on_commit_callbacks):
    letter, attorney, delivery = _issued_with_unaddressed_attorney(django_capture_on_commit_callbacks)
    with pytest.raises(DeliveryError, match="No postal address on file") as refused:
        mark_posted(delivery_ids=[delivery.pk], mailed_on=letter.issued_on, by=None)
    assert "Ada Counsel" in refused.value.message and "employee's attorney" in refused.value.message
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.TO_POST and delivery.mailed_on is None

    # Once the party has an address, the letter goes there and is recorded with it.
    attorney.mailing_address = "1 Law Plaza\nSacramento, CA 95814"
    attorney.save()
    mark_posted(delivery_ids=[delivery.pk], mailed_on=letter.issued_on, by=None)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.POSTED
    assert delivery.address == "1 Law Plaza\nSacramento, CA 95814"


def test_to_post_page_shows_the_missing_address_and_refuses_mailed_on(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    letter, _, delivery = _issued_with_unaddressed_attorney(django_capture_on_commit_callbacks)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("letters:to_post")
    with django_assert_max_num_queries(12):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "No postal address on file" in html
    assert "Employee&#x27;s attorney" in html or "Employee's attorney" in html
    assert "requesting_provider" not in html and ">attorney<" not in html

    # What a browser posts: the ticked checkbox, the date field, the submit button.
    response = client.post(
        url,
        {
            "deliveries": [str(delivery.pk)],
            "mailed_on": letter.issued_on.isoformat(),
            "submit": "Record as mailed",
        },
    )
    assert response.status_code == 400
    assert "No postal address on file" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.TO_POST
    assert Delivery.objects.filter(status=DeliveryStatus.POSTED).count() == 0
    letter.determination.refresh_from_db()
    assert letter.determination.mailed_on is None


def test_deliveries_and_resend_pages_show_role_labels_not_codes(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """Issue 9 item 7: `requesting_provider` was shown on the deliveries page."""
    letter, _, unaddressed = _issued_with_unaddressed_attorney(django_capture_on_commit_callbacks)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    case_number = letter.determination.case.case_number
    with django_assert_max_num_queries(10):
        page = client.get(reverse("letters:case_deliveries", args=[case_number]))
    html = unescape(page.content.decode())
    assert page.status_code == 200
    for label in (
        "Employee",
        "Employee's attorney",
        "Requesting provider",
        "Claims administrator",
        "Employer",
    ):
        assert f'<small class="text-muted">{label}' in html, label
    assert "No postal address on file" in html
    for code in ("requesting_provider", "claims_administrator", "to_post", ">post<", ">email<", ">sent<"):
        assert code not in html, code
    provider = letter.deliveries.get(recipient_role=PartyRole.REQUESTING_PROVIDER)
    provider.status = DeliveryStatus.FAILED
    provider.save()
    resend = unescape(client.get(reverse("letters:resend", args=[provider.pk])).content.decode())
    assert "(requesting provider; by email, currently failed)" in resend
    assert "requesting_provider" not in resend
    assert str(unaddressed)  # the model's own text names the role in words
    assert "employee's attorney" in str(unaddressed)
