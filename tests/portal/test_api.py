"""The REST API (/api/v1/): every endpoint, every bad input of the issue, and organizations kept
apart. Bad inputs tried: malformed JSON, a JSON array, a payload failing the import rules (same
field paths as import_cases), a case number/history in an application, a replayed POST with and
without the same body, a bad Idempotency-Key, no token, a garbled token, a revoked token,
another organization's token, a non-PDF, an oversized PDF, a duplicate PDF, a late upload,
missing upload fields, a letter not issued yet, too many calls (throttle)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

from cases.models import AccessAction, AccessLogEntry, Case, CaseStatus, Document
from core import clock
from portal.models import CaseLink, IdempotentRequest, Organization, OrganizationAPIKey, SubmittedRecord
from tests.cases.pdfs import PNG_BYTES, make_pdf_bytes, upload
from tests.portal.support import (
    LETTER_BYTES,
    application,
    auth,
    awaiting_records_case,
    issued_case_with_letter,
    link,
    organization,
    token_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    client.logout()
    return client


@pytest.fixture
def org():
    return organization(email="records@gsc.example.com")


@pytest.fixture
def token(org):
    return token_for(org)


def post_case(api, token, payload, **headers):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return api.post("/api/v1/cases", data=body, content_type="application/json", **auth(token), **headers)


# ---- POST /api/v1/cases ------------------------------------------------------------------


def test_a_submitted_application_is_a_case_of_the_submitting_organization(api, org, token):
    response = post_case(api, token, application())
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(case_number=body["case_number"])
    assert body["status"] == CaseStatus.RECEIVED == case.status
    assert body["url"] == f"/api/v1/cases/{case.case_number}"
    assert CaseLink.objects.get(case=case).organization == org
    assert case.events.filter(reason="Submitted through the API").exists()
    entry = AccessLogEntry.objects.filter(case=case).get()
    assert entry.action == AccessAction.CHANGE and org.name in entry.object_repr


def test_an_application_failing_the_import_rules_answers_400_with_the_import_paths(api, token):
    payload = application()
    payload["disputed_items"][1]["ur_decision"] = "approved"
    del payload["employee"]["last_name"]
    response = post_case(api, token, payload)
    assert response.status_code == 400
    paths = {error["path"] for error in response.json()["errors"]}
    assert {"disputed_items[1].ur_decision", "employee.last_name"} <= paths
    assert Case.objects.count() == 0 and CaseLink.objects.count() == 0
    assert AccessLogEntry.objects.get().status_code == 400


@pytest.mark.parametrize("key", ["case_number", "history", "determination"])
def test_an_application_cannot_bring_its_own_number_history_or_determination(api, token, key):
    payload = application()
    payload[key] = "CM15-0041877" if key == "case_number" else ([] if key == "history" else {})
    response = post_case(api, token, payload)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == key
    assert Case.objects.count() == 0


@pytest.mark.parametrize("body", ['{"format": "imr-case/1",', "not json", ""])
def test_malformed_json_answers_400_and_writes_nothing(api, token, body):
    response = post_case(api, token, body)
    assert response.status_code == 400
    assert "not valid" in response.json()["errors"][0]["message"] or response.json()["errors"]
    assert Case.objects.count() == 0


def test_a_json_array_is_not_an_application(api, token):
    response = post_case(api, token, [application()])
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_replayed_post_with_the_idempotency_key_returns_the_first_result(api, token):
    first = post_case(api, token, application(), HTTP_IDEMPOTENCY_KEY="7f9c-app-1")
    again = post_case(api, token, application(), HTTP_IDEMPOTENCY_KEY="7f9c-app-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1 and IdempotentRequest.objects.count() == 1


def test_an_idempotency_key_reused_with_another_body_is_refused(api, token):
    post_case(api, token, application(), HTTP_IDEMPOTENCY_KEY="key-1")
    other = application()
    other["employee"]["first_name"] = "Rosa"
    response = post_case(api, token, other, HTTP_IDEMPOTENCY_KEY="key-1")
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "Idempotency-Key"
    assert Case.objects.count() == 1


def test_without_a_key_a_second_post_is_a_second_case(api, token):
    post_case(api, token, application())
    post_case(api, token, application())
    assert Case.objects.count() == 2


def test_a_bad_idempotency_key_is_refused(api, token):
    response = post_case(api, token, application(), HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_the_same_key_of_two_organizations_are_two_cases(api, token):
    other = token_for(organization(name="Other TPA"))
    post_case(api, token, application(), HTTP_IDEMPOTENCY_KEY="same")
    post_case(api, other, application(), HTTP_IDEMPOTENCY_KEY="same")
    assert Case.objects.count() == 2


# ---- Tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Api-Key ", "Api-Key nonsense.key", "Bearer abc", "Token xyz"])
def test_no_or_a_garbled_token_answers_401(api, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = api.post(
        "/api/v1/cases", data=json.dumps(application()), content_type="application/json", **extra
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["errors"][0]["message"]
    assert Case.objects.count() == 0
    assert AccessLogEntry.objects.get().object_repr.startswith("API no valid token")


def test_a_revoked_token_answers_401(api, org, token):
    key = OrganizationAPIKey.objects.get(organization=org)
    key.revoked = True
    key.save()
    assert post_case(api, token, application()).status_code == 401


def test_tokens_are_kept_only_as_hashes(org, token):
    key = OrganizationAPIKey.objects.get(organization=org)
    assert token not in (key.hashed_key, key.id) and token.split(".")[1] not in key.hashed_key


def test_api_token_command_creates_the_organization_and_prints_the_token_once(api, capsys):
    call_command("api_token", "--organization", "Sierra TPA")
    printed = capsys.readouterr().out.strip()
    organization_ = Organization.objects.get(name="Sierra TPA")
    assert OrganizationAPIKey.objects.get(organization=organization_).is_valid(printed)
    call_command("api_token", "--organization", "Sierra TPA")
    second = capsys.readouterr().out.strip()
    assert second != printed and Organization.objects.filter(name="Sierra TPA").count() == 1
    assert post_case(api, second, application()).status_code == 201


# ---- GET /api/v1/cases/{case_number} ------------------------------------------------------------


def test_get_case_shows_status_and_deadlines(api, org, token, staff):
    case = awaiting_records_case(staff)
    link(org, case, staff)
    response = api.get(f"/api/v1/cases/{case.case_number}", **auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == CaseStatus.AWAITING_RECORDS
    assert body["records_due"] == case.records_due.isoformat()
    assert body["letter"] is None and body["accepts_records"] is True
    assert "reviewer" not in json.dumps(body).lower().replace("expert reviewer", "")
    assert AccessLogEntry.objects.filter(case=case, action=AccessAction.VIEW_CASE).count() == 1


def test_another_organizations_token_cannot_see_the_case(api, org, token, staff):
    case = awaiting_records_case(staff)
    link(org, case, staff)
    other = token_for(organization(name="Other TPA"))
    for path in (f"/api/v1/cases/{case.case_number}", f"/api/v1/cases/{case.case_number}/letter.pdf"):
        response = api.get(path, **auth(other))
        assert response.status_code == 404
    response = api.post(
        f"/api/v1/cases/{case.case_number}/documents",
        data={
            "file": upload(make_pdf_bytes()),
            "kind": "medical_records",
            "date_from": "2015-01-02",
            "date_to": "2015-02-02",
        },
        **auth(other),
    )
    assert response.status_code == 404
    assert Document.objects.filter(case=case).count() == 0
    # The same answer as for a case that does not exist.
    assert (
        api.get("/api/v1/cases/CM99-9999999", **auth(other))
        .json()["errors"][0]["message"]
        .startswith("No case")
    )
    assert AccessLogEntry.objects.filter(action=AccessAction.REFUSED, status_code=404).count() == 4


def test_a_case_whose_organization_name_matches_is_still_not_visible_without_a_link(api, token, staff):
    case = awaiting_records_case(staff)  # its claims administrator party is "Golden State Claims Services"
    assert api.get(f"/api/v1/cases/{case.case_number}", **auth(token)).status_code == 404


def test_the_letter_once_issued(api, org, token, staff):
    case = issued_case_with_letter()
    link(org, case, staff)
    body = api.get(f"/api/v1/cases/{case.case_number}", **auth(token)).json()
    assert body["letter"]["url"] == f"/api/v1/cases/{case.case_number}/letter.pdf"
    response = api.get(body["letter"]["url"], **auth(token))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == LETTER_BYTES
    assert AccessLogEntry.objects.filter(case=case, action=AccessAction.VIEW_LETTER).count() == 1


def test_no_letter_yet_answers_404(api, org, token, staff):
    case = awaiting_records_case(staff)
    link(org, case, staff)
    response = api.get(f"/api/v1/cases/{case.case_number}/letter.pdf", **auth(token))
    assert response.status_code == 404
    assert "No Final Determination letter" in response.json()["errors"][0]["message"]


# ---- POST /api/v1/cases/{case_number}/documents ------------------------------------------------


def post_record(api, token, case, content, **fields):
    data = {
        "file": upload(content),
        "kind": "medical_records",
        "date_from": "2015-01-02",
        "date_to": "2015-02-02",
        **fields,
    }
    return api.post(f"/api/v1/cases/{case.case_number}/documents", data=data, **auth(token))


@pytest.fixture
def linked_case(org, staff):
    case = awaiting_records_case(staff)
    link(org, case, staff)
    return case


def test_a_record_upload_answers_with_its_receipt(api, token, linked_case):
    content = make_pdf_bytes(pages=4, label="office notes")
    response = post_record(api, token, linked_case, content)
    assert response.status_code == 201, response.content
    record = response.json()["records"][0]
    assert record["pages"] == 4 and record["late"] is False and record["days_late"] == 0
    import hashlib

    assert record["sha256"] == hashlib.sha256(content).hexdigest()
    document = Document.objects.get(case=linked_case)
    assert document.kind == "medical_record" and document.portal_record.submission.through_api


def test_a_non_pdf_is_refused(api, token, linked_case):
    response = post_record(api, token, linked_case, PNG_BYTES)
    assert response.status_code == 400
    assert "not a PDF" in response.json()["errors"][0]["message"]
    assert Document.objects.count() == 0 and SubmittedRecord.objects.count() == 0


def test_an_oversized_pdf_is_refused(api, token, linked_case, settings):
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    response = post_record(api, token, linked_case, make_pdf_bytes(padding=1024 * 1024 + 10))
    assert response.status_code == 400
    assert "at most 1 MB" in response.json()["errors"][0]["message"]
    assert Document.objects.count() == 0


def test_a_body_over_the_site_s_limit_answers_413_in_json(api, token, linked_case, settings):
    """The request-body cap (imr_site.security) answers the API in JSON, before reading the body."""
    settings.REQUEST_MAX_BODY_BYTES = 1024 * 1024
    response = post_record(api, token, linked_case, make_pdf_bytes(padding=1024 * 1024 + 10))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "the limit is 1 MB" in response.json()["detail"]
    assert Document.objects.count() == 0


def test_a_duplicate_pdf_is_refused_with_409(api, token, linked_case):
    content = make_pdf_bytes(label="once")
    assert post_record(api, token, linked_case, content).status_code == 201
    response = post_record(api, token, linked_case, content)
    assert response.status_code == 409
    assert "already on case" in response.json()["errors"][0]["message"]
    assert Document.objects.count() == 1


def test_missing_or_bad_upload_fields_answer_400_by_field(api, token, linked_case):
    response = api.post(
        f"/api/v1/cases/{linked_case.case_number}/documents",
        data={"kind": "x-rays", "date_from": "02/30/2015"},
        **auth(token),
    )
    assert response.status_code == 400
    assert {e["path"] for e in response.json()["errors"]} == {"file", "kind", "date_from", "date_to"}
    response = post_record(
        api, token, linked_case, make_pdf_bytes(), date_from="2015-03-01", date_to="2015-02-01"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "date_from"


def test_a_late_upload_is_accepted_and_marked_late_from_its_upload_time(
    api, token, linked_case, time_machine
):
    time_machine.move_to(clock.now() + timedelta(days=20))
    due = Case.objects.get(pk=linked_case.pk).records_due
    response = post_record(api, token, linked_case, make_pdf_bytes(label="late"))
    assert response.status_code == 201
    record = response.json()["records"][0]
    expected = (clock.today() - due).days
    assert record["late"] is True and record["days_late"] == expected > 0
    assert record["penalty_usd"] == min(expected * 500, 5000)


def test_the_api_is_throttled_per_token(api, token, linked_case, settings):
    from django.core.cache import cache

    from portal.api.auth import PerTokenThrottle

    cache.clear()
    PerTokenThrottle.THROTTLE_RATES = {"token": "3/min"}
    try:
        codes = [
            api.get(f"/api/v1/cases/{linked_case.case_number}", **auth(token)).status_code for _ in range(4)
        ]
        other = token_for(organization(name="Other TPA"))
        other_code = api.get(f"/api/v1/cases/{linked_case.case_number}", **auth(other)).status_code
    finally:
        PerTokenThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        cache.clear()
    assert codes == [200, 200, 200, 429]
    assert other_code == 404  # its own allowance (and not a party to the case)


# ---- The schema ------------------------------------------------------------------------------


def test_the_schema_validates_and_lists_every_endpoint(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)
    assert set(schema["paths"]) == {
        "/api/v1/cases",
        "/api/v1/cases/{case_number}",
        "/api/v1/cases/{case_number}/documents",
        "/api/v1/cases/{case_number}/letter.pdf",
    }
    assert schema["components"]["securitySchemes"]["OrganizationToken"]["in"] == "header"
    assert json.loads(api.get("/api/v1/schema/?format=json").content) == schema
    assert api.get("/api/v1/schema/").content.startswith(b"openapi: 3")


def test_get_case_reads_a_fixed_number_of_queries(api, token, linked_case, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert api.get(f"/api/v1/cases/{linked_case.case_number}", **auth(token)).status_code == 200


def test_staff_revoke_a_token_in_the_admin(api, org, token, linked_case, client):
    from django.urls import reverse

    from imr_site import roles
    from tests.factories import UserFactory

    key = OrganizationAPIKey.objects.get(organization=org)
    client.force_login(UserFactory(username="intake.admin", role=roles.INTAKE_STAFF))
    page = client.get(reverse("admin:portal_organizationapikey_change", args=[key.pk]))
    assert page.status_code == 200 and token not in page.content.decode()
    response = client.post(
        reverse("admin:portal_organizationapikey_change", args=[key.pk]),
        {"name": key.name, "organization": org.pk, "revoked": "on", "expiry_date_0": "", "expiry_date_1": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert api.get(f"/api/v1/cases/{linked_case.case_number}", **auth(token)).status_code == 401


@pytest.mark.smtp
def test_the_receipt_of_an_api_upload_goes_out_by_smtp(
    api, token, linked_case, smtp_server, django_capture_on_commit_callbacks
):
    content = make_pdf_bytes(pages=2, label="smtp receipt")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_record(api, token, linked_case, content).status_code == 201
    (received,) = smtp_server.messages
    assert received["rcpt_tos"] == ["records@gsc.example.com"]
    body = received["message"].get_payload(decode=True).decode()
    import hashlib

    assert hashlib.sha256(content).hexdigest() in body and "2 page(s)" in body


def test_an_expired_token_answers_401(api, org, token, linked_case):
    OrganizationAPIKey.objects.filter(organization=org).update(expiry_date=clock.now() - timedelta(minutes=1))
    response = api.get(f"/api/v1/cases/{linked_case.case_number}", **auth(token))
    assert response.status_code == 401 and "expired" in response.json()["errors"][0]["message"]
