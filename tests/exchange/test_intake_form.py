"""The intake form's treatments in dispute (`/cases/new/`), posted as a browser posts them.

Every POST carries what the page's form holds: the management form, every item slot
including blank ones (their selects on "—", posted as ""), radio values, "" for empty
inputs, and any hidden field the page draws (read from the page itself).

Bad inputs tried: a slot partly filled (description only; quantity only; an unparseable
quantity), every slot blank, 31 items, a blank slot whose selects carry values (an older
page), a tampered TOTAL_FORMS, a remove button with a garbage index, a bad NPI, bad emails
for the employer and the attorney, an attorney address without a name, an importer error on
an item after a removed slot shifted the indices.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from cases.models import Case, Party, PartyRole
from imr_site import roles
from tests.exchange.intake_support import (
    EMPTY_APPLICATION,
    MRI,
    PT,
    TRAMADOL,
    browser_fields,
    intake_post,
    slot,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("cases:intake")


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="intake1", role=roles.INTAKE_STAFF))
    return client


def submit(
    client, data: dict[str, str], *, page_html: str | None = None, button: tuple[str, str] | None = None
):
    """POST `data` over the hidden fields of the page (fetched fresh unless given), as a browser does."""
    if page_html is None:
        page_html = client.get(URL).content.decode()
    hidden = {k: v for k, v in browser_fields(page_html).items() if not k.startswith("items-")}
    payload = {**{k: v for k, v in hidden.items() if k not in EMPTY_APPLICATION}, **data}
    if button:
        payload[button[0]] = button[1]
    return client.post(URL, payload)


def summary_links(html: str) -> list[str]:
    summary = re.search(r"<div[^>]*data-error-summary.*?</div>", html, re.S)
    assert summary, "no error summary on the page"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


# ---- The helper posts what the page holds --------------------------------------------------


def test_the_test_helper_posts_what_the_page_holds(staff_client):
    """Every name the empty page posts, with the value a browser posts, and nothing else of ours."""
    page = browser_fields(staff_client.get(URL).content.decode())
    ours = intake_post(slot(), **EMPTY_APPLICATION)
    assert {k: page[k] for k in ours} == ours
    # The selects of the blank slot go out as "" (the "—" option), so they fill nothing.
    assert page["items-0-category"] == "" and page["items-0-ur_decision"] == ""
    assert "items-0-formulary_drug" not in page


def test_the_page_starts_with_one_blank_item_and_an_item_template(staff_client):
    html = staff_client.get(URL).content.decode()
    assert 'name="items-TOTAL_FORMS" value="1"' in html
    assert 'name="items-0-description"' in html and 'name="items-1-description"' not in html
    assert '<template id="item-template">' in html and 'name="items-__prefix__-description"' in html
    assert "js/intake-items.js" in html
    assert "Add another item" in html and "Remove item" in html


# ---- Creating a case with 1, 2, 3 items --------------------------------------------------


def test_one_item_and_a_blank_second_slot_creates_the_case(staff_client):
    response = submit(staff_client, intake_post(slot(**PT), slot()))
    assert response.status_code == 302, response.context and response.context["error_summary"]
    case = Case.objects.get()
    assert list(case.disputed_items.values_list("position", "description", "quantity")) == [
        (1, PT["description"], 16)
    ]


def test_a_blank_slot_whose_selects_carry_values_is_ignored(staff_client):
    """An older page drew the selects without "—": the browser then posts their first option."""
    blank_with_selects = slot(category="pharmaceuticals", ur_decision="modified")
    response = submit(staff_client, intake_post(slot(**PT), blank_with_selects))
    assert response.status_code == 302
    assert Case.objects.get().disputed_items.count() == 1


def test_two_items_are_created_in_order(staff_client):
    response = submit(staff_client, intake_post(slot(**PT), slot(**MRI)))
    assert response.status_code == 302
    case = Case.objects.get()
    assert list(
        case.disputed_items.order_by("position").values_list("description", "category", "ur_decision")
    ) == [
        (PT["description"], "physical_medicine", "modified"),
        (MRI["description"], "diagnostics", "denied"),
    ]


def test_three_items_with_a_blank_slot_between_them(staff_client):
    response = submit(staff_client, intake_post(slot(**PT), slot(), slot(**MRI), slot(**TRAMADOL)))
    assert response.status_code == 302
    items = list(Case.objects.get().disputed_items.order_by("position"))
    assert [(i.position, i.description) for i in items] == [
        (1, PT["description"]),
        (2, MRI["description"]),
        (3, TRAMADOL["description"]),
    ]
    assert items[2].formulary_drug is True and items[2].quantity == 60


# ---- Bad items -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("partial", "fields"),
    [
        ({"description": "Acupuncture x6"}, {"category", "ur_decision"}),
        ({"quantity": "2"}, {"description", "category", "ur_decision"}),
        ({**MRI, "quantity": "two"}, {"quantity"}),
        ({**MRI, "quantity": "0"}, {"quantity"}),
    ],
    ids=["description-only", "quantity-only", "quantity-not-a-number", "quantity-zero"],
)
def test_a_partly_filled_slot_gets_field_errors_and_nothing_is_created(staff_client, partial, fields):
    before = Case.objects.count()
    response = submit(staff_client, intake_post(slot(**PT), slot(**partial), slot()))
    assert response.status_code == 400
    formset = response.context["formset"]
    assert set(formset.forms[1].errors) == fields
    assert not formset.forms[0].errors and not formset.forms[2].errors
    assert Case.objects.count() == before
    for name in fields:
        assert f"id_items-1-{name}" in summary_links(response.content.decode())


def test_every_slot_blank_is_an_error_not_a_case(staff_client):
    before = Case.objects.count()
    response = submit(staff_client, intake_post(slot(), slot()))
    assert response.status_code == 400
    assert "Enter at least one treatment in dispute." in response.context["formset"].non_form_errors()
    html = response.content.decode()
    assert "id_items-0-description" in summary_links(html)
    assert Case.objects.count() == before


def test_thirty_one_items_are_refused(staff_client):
    items = [slot(**{**MRI, "description": f"Treatment {n}"}) for n in range(31)]
    response = submit(staff_client, intake_post(*items))
    assert response.status_code == 400
    assert "at most 30" in " ".join(response.context["formset"].non_form_errors())
    assert not Case.objects.exists()


def test_a_tampered_item_count_is_a_form_error_not_a_server_error(staff_client):
    data = intake_post(slot(**PT))
    data["items-TOTAL_FORMS"] = "many"
    response = submit(staff_client, data)
    assert response.status_code == 400
    assert "arrived incomplete" in " ".join(response.context["formset"].non_form_errors())
    assert not Case.objects.exists()


# ---- Add and remove without JavaScript -----------------------------------------------------


def test_add_another_item_without_javascript_draws_one_more_slot(staff_client):
    data = intake_post(slot(**PT), employee_last_name="")  # unfinished: no error shown yet
    response = submit(staff_client, data, button=("add_item", "1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="items-TOTAL_FORMS" value="2"' in html
    assert 'name="items-1-description"' in html and "autofocus" in html
    assert PT["description"] in html  # what was typed is kept
    assert "data-error-summary" not in html and "is-invalid" not in html
    assert not Case.objects.exists()

    # The browser posts the new page: fill the new slot and the missing name, then create.
    fields = browser_fields(html)
    assert fields["items-1-category"] == ""
    fields.update({f"items-1-{k}": v for k, v in MRI.items()}, employee_last_name="Example")
    response = submit(staff_client, fields, page_html=html)
    assert response.status_code == 302
    assert list(Case.objects.get().disputed_items.values_list("description", flat=True)) == [
        PT["description"],
        MRI["description"],
    ]


def test_remove_button_without_javascript_drops_that_slot(staff_client):
    response = submit(
        staff_client, intake_post(slot(**PT), slot(**MRI), slot(**TRAMADOL)), button=("remove_item", "1")
    )
    assert response.status_code == 200
    html = response.content.decode()
    fields = browser_fields(html)
    assert fields["items-TOTAL_FORMS"] == "2"
    assert fields["items-0-description"] == PT["description"]
    assert fields["items-1-description"] == TRAMADOL["description"]
    assert MRI["description"] not in html
    assert not Case.objects.exists()
    response = submit(staff_client, fields, page_html=html)
    assert response.status_code == 302
    assert Case.objects.get().disputed_items.count() == 2


@pytest.mark.parametrize("garbage", ["x<1>", "²", "-0", "99999999999999999999"])
def test_remove_with_a_garbage_index_removes_nothing(staff_client, garbage):
    response = submit(staff_client, intake_post(slot(**PT)), button=("remove_item", garbage))
    assert response.status_code == 200
    assert browser_fields(response.content.decode())["items-0-description"] == PT["description"]


def test_a_slot_marked_removed_is_not_created(staff_client):
    """The hidden DELETE input (set by the page's Remove with JavaScript) drops the item, even half-filled."""
    data = intake_post(slot(**PT), slot(description="Acupuncture x6", DELETE="on"), slot(**MRI))
    response = submit(staff_client, data)
    assert response.status_code == 302
    assert list(Case.objects.get().disputed_items.values_list("description", flat=True)) == [
        PT["description"],
        MRI["description"],
    ]


def test_every_item_removed_is_an_error(staff_client):
    response = submit(staff_client, intake_post(slot(**PT, DELETE="on"), slot()))
    assert response.status_code == 400
    assert response.context["formset"].non_form_errors()
    assert not Case.objects.exists()


# ---- Error summary and the importer's errors -----------------------------------------------


def test_error_summary_links_to_every_field_in_error(staff_client):
    data = intake_post(
        slot(**PT), slot(description="Acupuncture x6"), employee_last_name="", employer_email="x@"
    )
    response = submit(staff_client, data)
    assert response.status_code == 400
    html = response.content.decode()
    links = summary_links(html)
    assert links == [
        "id_employee_last_name",
        "id_employer_email",
        "id_items-1-category",
        "id_items-1-ur_decision",
    ]
    assert "There are 4 problems" in html
    assert 'role="alert" tabindex="-1"' in html
    for anchor in links:  # each link leads to a field on the page
        assert f'id="{anchor}"' in html
    assert "Item 2, Category: Choose the treatment's category." in unescape(html)
    assert "Employee last name: This field is required." in html


def test_one_problem_reads_in_the_singular(staff_client):
    response = submit(staff_client, intake_post(slot(**PT), employee_first_name=""))
    assert "There is 1 problem" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"provider_npi": "1234567890"}, "provider_npi"),  # wrong check digit (importer)
        ({"provider_npi": "12345"}, "provider_npi"),
        ({"employer_email": "payroll@"}, "employer_email"),
        ({"attorney_name": "Jo Counsel", "attorney_email": "not-an-email"}, "attorney_email"),
        ({"attorney_mailing_address": "1 Law St\nSacramento, CA"}, "attorney_name"),
    ],
)
def test_bad_party_details_are_field_errors(staff_client, overrides, field):
    response = submit(staff_client, intake_post(slot(**PT), **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f"id_{field}" in summary_links(response.content.decode())
    assert not Case.objects.exists()


def test_importer_item_error_lands_on_the_slot_after_removed_and_blank_slots(staff_client):
    """Slot 0 removed and slot 1 blank: the importer's disputed_items[0] is slot 2."""
    bad = {**PT, "formulary_drug": "on"}  # formulary only with pharmaceuticals (importer rule)
    data = intake_post(slot(**MRI, DELETE="on"), slot(), slot(**bad))
    response = submit(staff_client, data)
    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert "formulary_drug" in forms[2].errors
    assert not forms[0].errors and not forms[1].errors
    html = response.content.decode()
    assert summary_links(html) == ["id_items-2-formulary_drug"]
    assert "Item 2, Drug-formulary item" in html  # numbered as the page shows it (removed one hidden)
    assert not Case.objects.exists()


def test_every_party_mailing_address_is_stored(staff_client):
    """Each party's postal address, with the browser's CRLF line breaks stored as newlines."""
    addresses = {
        "employee_mailing_address": "12 Orchard Lane\nFresno, CA 93701",
        "employer_mailing_address": "400 Packing Way\nModesto, CA 95354",
        "claims_administrator_mailing_address": "PO Box 1\nSacramento, CA 95812",
        "provider_mailing_address": "9 Clinic Rd\nFresno, CA 93710",
        "attorney_mailing_address": "1 Law St\nSacramento, CA 95814",
    }
    posted = {name: text.replace("\n", "\r\n") for name, text in addresses.items()}
    data = intake_post(slot(**PT), attorney_name="Jo Counsel", attorney_firm="Counsel LLP", **posted)
    response = submit(staff_client, data)
    assert response.status_code == 302
    stored = dict(Party.objects.values_list("role", "mailing_address"))
    assert stored == {
        PartyRole.EMPLOYEE: addresses["employee_mailing_address"],
        PartyRole.EMPLOYER: addresses["employer_mailing_address"],
        PartyRole.CLAIMS_ADMINISTRATOR: addresses["claims_administrator_mailing_address"],
        PartyRole.REQUESTING_PROVIDER: addresses["provider_mailing_address"],
        PartyRole.ATTORNEY: addresses["attorney_mailing_address"],
    }


def test_add_with_a_tampered_item_count_draws_one_blank_slot(staff_client):
    data = intake_post(slot(**PT))
    data["items-TOTAL_FORMS"] = "-3"
    response = submit(staff_client, data, button=("add_item", "1"))
    assert response.status_code == 200
    fields = browser_fields(response.content.decode())
    assert fields["items-TOTAL_FORMS"] == "1" and fields["items-0-description"] == ""
    assert not Case.objects.exists()
