"""The staff admin console for cases.

Bad inputs tried: an anonymous visitor (sent to login), a reviewer (no admin console),
intake staff opening the access log (administrators only), a search for a word that is
only in the employer's name (must not match the employee search), attempts to add, change
or delete timeline events (append-only).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, Case, CaseEvent, CaseStatus, PartyRole
from cases.services.audit import log_access
from cases.services.documents import add_document
from core.admin import LargeListAdmin
from imr_site import roles
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.factories import (
    CaseFactory,
    DisputedItemFactory,
    PartyFactory,
    ReviewerFactory,
    UserFactory,
    make_seed_like_case,
)
from tests.forms_helpers import post_form
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

CASE_MODELS = ["case", "party", "disputeditem", "document", "caseevent", "accesslogentry"]
# Models whose admin offers an add form (the logs are append-only records).
ADDABLE = {"case", "party", "disputeditem", "document"}


@pytest.fixture
def seeded():
    """A seed-like case with a document, a timeline event and an access-log row."""
    case = make_seed_like_case()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    document = add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes()),
        kind="medical_record",
        title="Progress notes",
        received_on=case.received_on,
        by=staff,
    )
    log_access(user=staff, case=case, action=AccessAction.VIEW_CASE, object_repr="seed")
    return {
        "case": case,
        "party": case.parties.first(),
        "disputeditem": case.disputed_items.first(),
        "document": document,
        "caseevent": CaseEvent.objects.filter(case=case).first(),
        "accesslogentry": AccessLogEntry.objects.first(),
    }


def _urls(model: str, obj) -> list[str]:
    urls = [reverse(f"admin:cases_{model}_changelist"), reverse(f"admin:cases_{model}_change", args=[obj.pk])]
    if model in ADDABLE:
        urls.append(reverse(f"admin:cases_{model}_add"))
    return urls


@pytest.mark.parametrize("role", [roles.INTAKE_STAFF, roles.ADMINISTRATOR])
@pytest.mark.parametrize("model", CASE_MODELS)
def test_admin_pages_render(client, seeded, role, model):
    client.force_login(UserFactory(role=role))
    for url in _urls(model, seeded[model]):
        response = client.get(url)
        if model == "accesslogentry" and role == roles.INTAKE_STAFF:
            assert response.status_code == 403, url
        else:
            assert response.status_code == 200, url


def test_access_log_is_listed_for_administrators_only(client, seeded):
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    assert "accesslogentry" not in client.get(reverse("admin:index")).content.decode()
    client.force_login(UserFactory(role=roles.ADMINISTRATOR))
    assert "accesslogentry" in client.get(reverse("admin:index")).content.decode()


def test_anonymous_is_sent_to_login(client, seeded):
    for url in [reverse("admin:index"), *_urls("case", seeded["case"])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]


def test_reviewer_has_no_admin_console(client, seeded):
    reviewer = ReviewerFactory()
    client.force_login(reviewer.user)
    for url in _urls("case", seeded["case"]):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "login" in response["Location"]


def test_timeline_and_access_log_cannot_be_changed(client, seeded):
    admin_user = UserFactory(role=roles.ADMINISTRATOR)
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    for model in ("caseevent", "accesslogentry"):
        obj = seeded[model]
        assert client.get(reverse(f"admin:cases_{model}_add")).status_code == 403
        assert client.get(reverse(f"admin:cases_{model}_delete", args=[obj.pk])).status_code == 403
        response = client.post(reverse(f"admin:cases_{model}_change", args=[obj.pk]), {})
        assert response.status_code == 403
    change_page = client.get(reverse("admin:cases_case_change", args=[seeded["case"].pk])).content.decode()
    assert 'name="events-0-kind"' not in change_page  # the timeline inline has no inputs
    assert 'name="status"' not in change_page  # status is never edited directly


def test_opening_a_case_page_is_logged(client, seeded):
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    client.get(reverse("admin:cases_case_change", args=[seeded["case"].pk]))
    assert AccessLogEntry.objects.filter(
        user=staff, case=seeded["case"], action=AccessAction.VIEW_CASE
    ).exists()


def _make_cases(count: int) -> None:
    for _ in range(count):
        make_seed_like_case()


@pytest.mark.parametrize("count", [1, 30])
def test_case_changelist_queries_do_not_grow_with_cases(client, django_assert_max_num_queries, count):
    _make_cases(count)
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    url = reverse("admin:cases_case_changelist")
    client.get(url)  # warm the session and permission caches
    # session, user, 2 permission lookups, 2 counts, the page, 2 for the date bar, and the one
    # INSERT of the access-log rows for the cases shown: 10 for 1 or 30 cases.
    with django_assert_max_num_queries(10 + SECOND_FACTOR_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    # A page of rows: all of them, or the first page of 30.
    assert response.content.decode().count("Maria Example") == min(count, LargeListAdmin.list_per_page)


@pytest.mark.parametrize("model", ["party", "disputeditem", "document", "caseevent", "accesslogentry"])
@pytest.mark.parametrize("count", [1, 30])
def test_other_changelists_do_not_grow_with_rows(client, django_assert_max_num_queries, model, count):
    staff = UserFactory(role=roles.ADMINISTRATOR)
    for index in range(count):
        case = make_seed_like_case()
        add_document(
            case=case,
            uploaded_file=upload(make_pdf_bytes(label=f"doc {index}")),
            kind="medical_record",
            title="Progress notes",
            received_on=case.received_on,
            by=staff,
        )
        log_access(user=staff, case=case, action=AccessAction.VIEW_CASE)
    client.force_login(staff)
    url = reverse(f"admin:cases_{model}_changelist")
    client.get(url)
    # Up to 11 whatever the row count: the list, two counts, the date bar (2), one query
    # for the filter whose choices come from the data (event kinds, the access log's users)
    # and the one INSERT of the access-log rows for the cases shown.
    with django_assert_max_num_queries(11 + SECOND_FACTOR_QUERIES):
        assert client.get(url).status_code == 200


def test_case_change_form_queries_are_bounded(client, django_assert_max_num_queries):
    case = make_seed_like_case()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    for index in range(10):
        add_document(
            case=case,
            uploaded_file=upload(make_pdf_bytes(label=f"doc {index}")),
            kind="medical_record",
            title=f"Record {index}",
            received_on=case.received_on,
            by=staff,
        )
    client.force_login(staff)
    url = reverse("admin:cases_case_change", args=[case.pk])
    client.get(url)
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200


def test_search_by_claim_number_employee_name_and_case_number(client):
    wanted = make_seed_like_case()
    other = CaseFactory()
    PartyFactory(
        case=other, role=PartyRole.EMPLOYEE, name="Rosa Delgado", first_name="Rosa", last_name="Delgado"
    )
    PartyFactory(case=other, role=PartyRole.EMPLOYER, name="Example Foods Inc.")
    PartyFactory(case=other, role=PartyRole.CLAIMS_ADMINISTRATOR, name="Other TPA", claim_number="ZZ-999")
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    url = reverse("admin:cases_case_changelist")

    def found(term: str) -> set[str]:
        response = client.get(url, {"q": term})
        assert response.status_code == 200
        return {case.case_number for case in response.context["cl"].result_list}

    assert found("GSC-07-118204") == {wanted.case_number}
    assert found("118204") == {wanted.case_number}
    assert found("Maria Example") == {wanted.case_number}
    assert found("example") == {wanted.case_number}  # not "Example Foods", the employer of the other
    assert found("delgado") == {other.case_number}
    assert found(other.case_number) == {other.case_number}
    assert found("nobody") == set()


def test_filters_by_status_category_and_overdue(client):
    physical = make_seed_like_case()
    drug = CaseFactory(status=CaseStatus.AWAITING_RECORDS, overdue=True)
    DisputedItemFactory(case=drug, position=1, category="pharmaceuticals", formulary_drug=True)
    DisputedItemFactory(case=drug, position=2, category="pharmaceuticals")
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    url = reverse("admin:cases_case_changelist")

    def listed(**params) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [case.case_number for case in response.context["cl"].result_list]

    assert listed(item_category="pharmaceuticals") == [drug.case_number]  # listed once, not twice
    assert listed(item_category="injections") == [physical.case_number]
    assert listed(status__exact="awaiting_records") == [drug.case_number]
    assert listed(overdue__exact="1") == [drug.case_number]


def _case_change_post(case, **changes) -> dict:
    """The case change form as a browser posts it; existing inline rows are left untouched."""
    data = {
        "received_on": case.received_on.isoformat(),
        "signed": "on",
        "ur_decision_attached": "on",
        "injury_date": case.injury_date.isoformat(),
        "body_parts": '["right hip", "back"]',
        "diagnoses": '["lumbar radiculopathy", "chronic pain"]',
        "mechanism": "",
        "ur_decision_date": case.ur_decision_date.isoformat(),
        "ur_served_on": case.ur_served_on.isoformat(),
        "ur_service_method": case.ur_service_method,
        "ur_reviewer_name": case.ur_reviewer_name,
        "ur_organization": case.ur_organization,
        "ur_guidelines_cited": "",
        **changes,
    }
    for prefix in ("parties", "disputed_items", "documents", "documents-2", "events"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


def test_staff_edit_keeps_status_and_refreshes_deadlines(client):
    """Editing the UR service date recomputes the application deadline and is on the timeline."""
    case = make_seed_like_case()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    url = reverse("admin:cases_case_change", args=[case.pk])

    response = post_form(client, url, _case_change_post(case, ur_served_on="2015-02-12"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    assert case.ur_served_on.isoformat() == "2015-02-12"
    # Served by mail on Thu 2/12/2015: 35 days is Thu 3/19/2015.
    assert case.application_due.isoformat() == "2015-03-19"
    assert case.parties.count() == 4
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.EDITED_BY_STAFF)
    assert "ur_served_on" in event.data["changed"]
    assert event.actor == staff


def test_posting_a_status_does_not_change_it(client):
    case = make_seed_like_case()
    client.force_login(UserFactory(role=roles.ADMINISTRATOR))
    url = reverse("admin:cases_case_change", args=[case.pk])
    response = post_form(client, url, _case_change_post(case, status="closed", next_deadline="2030-01-01"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    assert case.next_deadline is None


def test_demo_reviewer_user_model_is_not_staff():
    # The Reviewer role is not an admin-console role.
    user = UserFactory(role=roles.REVIEWER)
    assert not get_user_model().objects.get(pk=user.pk).is_staff


def test_staff_add_a_case_in_received_with_its_deadline(client):
    """A case added in the console starts in received, with its application deadline computed."""
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    template = CaseFactory.build(case_number="CM26-0200001", received_on=date(2026, 3, 2))
    data = _case_change_post(template, case_number="CM26-0200001", priority="standard")
    data["ur_decision_date"], data["ur_served_on"] = "2026-02-06", "2026-02-09"
    response = post_form(client, reverse("admin:cases_case_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get(case_number="CM26-0200001")
    assert case.status == CaseStatus.RECEIVED
    assert case.application_due == date(2026, 3, 16)  # mailed 2/9: 35 days is Mon 3/16
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CREATED_BY_STAFF, actor=staff).exists()
    # A malformed case number is a form error, not a 500.
    data["case_number"] = "CM26-12"
    response = post_form(client, reverse("admin:cases_case_add"), data)
    assert response.status_code == 200
    assert "CMyy-nnnnnnn" in response.content.decode()


@pytest.mark.django_db
def test_case_changelist_shows_the_seed_case_with_its_two_disputed_items(client):
    make_seed_like_case(case_number="CM15-0041877")
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    response = client.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.case_number == "CM15-0041877")
    assert row.disputed_item_count == 2
    assert row.employee_name == "Maria Example"
