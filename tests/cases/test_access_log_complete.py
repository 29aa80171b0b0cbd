"""The complete PHI access log (issue 13, item 5).

Tried: the admin's lists, searches and change pages of cases, parties (date of birth,
address) and determinations (summary and rationales); the deliveries page and resend; a
reviewer opening another case (403) and a document id that does not exist (404);
`export_cases` and `render_letter`; then updating and deleting audit rows straight in SQL,
deleting a case with a history (model, admin), and exporting the log of a case and of a
user for a date range.
"""

from __future__ import annotations

import csv
import getpass
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, Case, CaseEvent, PartyRole
from core import clock
from determinations.models import Delivery
from determinations.services.letters import issue_letter
from imr_site import roles
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import ReviewerFactory, UserFactory, make_seed_like_case

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) audit-test"


@pytest.fixture
def admin_client(client):
    user = UserFactory(role=roles.ADMINISTRATOR, username="admin1")
    client.force_login(user)
    client.user = user
    return client


def rows(**filters) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(**filters).order_by("id"))


def test_admin_change_pages_of_party_and_determination_are_logged_with_ip_and_agent(admin_client):
    determination = approved_seed_determination()
    case = determination.case
    employee = case.parties.get(role=PartyRole.EMPLOYEE)
    for url in (
        reverse("admin:cases_party_change", args=[employee.pk]),
        reverse("admin:determinations_determination_change", args=[determination.pk]),
        reverse("admin:cases_case_change", args=[case.pk]),
    ):
        response = admin_client.get(url, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    logged = rows(action=AccessAction.VIEW_CASE, case=case)
    assert [entry.object_repr for entry in logged] == [
        f"admin page: party {employee.pk} of {case.case_number}",
        f"admin page: determination {determination.pk} of {case.case_number}",
        f"admin page: case {case.pk} of {case.case_number}",
    ]
    assert {(e.user_id, e.ip_address, e.user_agent) for e in logged} == {
        (admin_client.user.pk, "203.0.113.7", BROWSER)
    }


def test_admin_changelist_and_search_log_each_case_shown_and_the_search_text(admin_client):
    shown = make_seed_like_case(case_number="CM15-0000101")
    make_seed_like_case(case_number="CM15-0000102")
    response = admin_client.get(reverse("admin:cases_case_changelist"), {"q": "CM15-0000101"})
    assert response.status_code == 200
    (search,) = rows(action=AccessAction.SEARCH)
    assert search.object_repr == "admin search of cases: CM15-0000101"
    assert [(e.case_id, e.object_repr) for e in rows(action=AccessAction.VIEW_CASE)] == [
        (shown.pk, "listed in the admin's cases for CM15-0000101")
    ]
    admin_client.get(reverse("admin:cases_party_changelist"))
    assert rows(action=AccessAction.VIEW_CASE, object_repr="listed in the admin's parties")


def test_deliveries_page_and_resend_are_logged(admin_client):
    determination = approved_seed_determination()
    issue_letter(determination_id=determination.pk)
    case = determination.case
    assert admin_client.get(reverse("letters:case_deliveries", args=[case.case_number])).status_code == 200
    delivery = Delivery.objects.filter(letter__determination=determination).first()
    assert admin_client.get(reverse("letters:resend", args=[delivery.pk])).status_code == 200
    assert [e.object_repr for e in rows(case=case, action=AccessAction.VIEW_CASE)] == [
        f"deliveries of {case.case_number}",
        f"resend page of delivery {delivery.pk}",
    ]


def test_refused_attempts_on_case_urls_are_logged(client):
    case = make_seed_like_case()
    reviewer = ReviewerFactory()
    client.force_login(reviewer.user)
    assert client.get(reverse("cases:case", args=[case.pk]), HTTP_USER_AGENT=BROWSER).status_code == 403
    assert client.get(reverse("documents:document", args=[987654])).status_code == 404
    assert client.get(reverse("review:case_file", args=[case.pk])).status_code == 404
    refused = rows(action=AccessAction.REFUSED)
    assert [(e.status_code, e.case_id, e.path) for e in refused] == [
        (403, case.pk, f"/cases/{case.pk}/"),
        (404, None, "/documents/987654/"),
        (404, case.pk, f"/review/cases/{case.pk}/"),
    ]
    assert {e.user_id for e in refused} == {reviewer.user.pk}
    assert refused[0].user_agent == BROWSER and refused[0].ip_address == "127.0.0.1"


def test_export_cases_and_render_letter_log_the_os_user_and_command(tmp_path):
    determination = approved_seed_determination()
    other = make_seed_like_case(case_number="CM15-0000103")
    call_command("export_cases", "--output", str(tmp_path / "all.jsonl"), stderr=io.StringIO())
    exported = rows(action=AccessAction.EXPORT)
    assert {e.case_id for e in exported} == {determination.case_id, other.pk}
    assert {(e.user_id, e.os_user) for e in exported} == {(None, getpass.getuser())}
    assert all(e.command and e.object_repr.startswith("export_cases to ") for e in exported)

    call_command("render_letter", determination.case.case_number, "--output", str(tmp_path / "l.pdf"))
    (rendered,) = rows(action=AccessAction.VIEW_LETTER)
    assert rendered.case_id == determination.case_id
    assert rendered.os_user == getpass.getuser()
    assert rendered.object_repr.startswith("render_letter: DRAFT letter to ")


def test_audit_rows_cannot_be_changed_or_deleted_in_the_database(postgres):
    case = make_seed_like_case()
    event = CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.IMPORTED, effective_on=clock.today())
    entry = AccessLogEntry.objects.create(case=case, action=AccessAction.VIEW_CASE, object_repr="x")
    statements = [
        ("UPDATE cases_caseevent SET reason = 'rewritten' WHERE id = %s", event.pk),
        ("DELETE FROM cases_caseevent WHERE id = %s", event.pk),
        ("UPDATE cases_accesslogentry SET user_id = NULL, object_repr = '' WHERE id = %s", entry.pk),
        ("DELETE FROM cases_accesslogentry WHERE id = %s", entry.pk),
    ]
    for sql, pk in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [pk])
    event.refresh_from_db()
    entry.refresh_from_db()
    assert event.reason != "rewritten" and entry.object_repr == "x"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).delete()


def test_a_case_with_a_history_cannot_be_deleted(admin_client):
    case = make_seed_like_case()
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.IMPORTED, effective_on=clock.today())
    with pytest.raises(ProtectedError), transaction.atomic():
        case.delete()
    response = admin_client.post(reverse("admin:cases_case_delete", args=[case.pk]), {"post": "yes"})
    assert response.status_code in (200, 403)
    assert Case.objects.filter(pk=case.pk).exists()
    assert CaseEvent.objects.filter(case=case).exists()


def test_access_log_export_by_case_and_by_user_for_a_date_range(tmp_path):
    case = make_seed_like_case(case_number="CM15-0000104")
    other = make_seed_like_case(case_number="CM15-0000105")
    staff = UserFactory(role=roles.INTAKE_STAFF, username="auditee")
    AccessLogEntry.objects.create(user=staff, case=case, action=AccessAction.VIEW_CASE, object_repr="=cmd()")
    AccessLogEntry.objects.create(user=staff, case=other, action=AccessAction.SEARCH, object_repr="search")
    AccessLogEntry.objects.create(user=None, case=case, action=AccessAction.EXPORT, object_repr="cmd")
    today = clock.today()

    out = tmp_path / "case.csv"
    call_command(
        "export_access_log", "--case", case.case_number, "--from", str(today), "--to", str(today),
        "--output", str(out), stderr=io.StringIO(),
    )
    by_case = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["user"], r["case_number"], r["object"]) for r in by_case] == [
        ("auditee", "CM15-0000104", "'=cmd()"),  # a spreadsheet never runs it as a formula
        ("", "CM15-0000104", "cmd"),
        # The export itself, logged first (in the same transaction): it lists itself.
        ("", "CM15-0000104", f"access log export: case CM15-0000104 {today} to {today}"),
    ]

    stdout = io.StringIO()
    call_command(
        "export_access_log", "--user", "auditee", "--from", str(today), "--to", str(today),
        stdout=stdout, stderr=io.StringIO(),
    )
    by_user = list(csv.DictReader(io.StringIO(stdout.getvalue())))
    assert [r["case_number"] for r in by_user] == ["CM15-0000104", "CM15-0000105"]

    yesterday = today - timedelta(days=1)
    stdout = io.StringIO()
    call_command(
        "export_access_log", "--user", "auditee", "--from", str(yesterday), "--to", str(yesterday),
        stdout=stdout, stderr=io.StringIO(),
    )
    assert list(csv.DictReader(io.StringIO(stdout.getvalue()))) == []

    # Each export is itself in the log, with who ran it and what it covered.
    exports = rows(action=AccessAction.EXPORT, object_repr__startswith="access log export")
    assert [e.object_repr for e in exports] == [
        f"access log export: case CM15-0000104 {today} to {today}",
        f"access log export: user auditee {today} to {today}",
        f"access log export: user auditee {yesterday} to {yesterday}",
    ]
    assert exports[0].case_id == case.pk and exports[0].os_user == getpass.getuser()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-01-01", "--to", "2026-01-31"], "give --case"),
        (["--case", "CM15-9999999", "--from", "2026-01-01", "--to", "2026-01-31"], "unknown case number"),
        (["--user", "nobody", "--from", "2026-01-01", "--to", "2026-01-31"], "unknown user"),
        (["--user", "auditee", "--from", "2026-02-01", "--to", "2026-01-31"], "is before"),
        (["--user", "auditee", "--from", "01/02/2026", "--to", "2026-01-31"], "not a date"),
    ],
)
def test_access_log_export_refuses_bad_arguments(args, message):
    UserFactory(username="auditee")
    with pytest.raises(CommandError, match=message):
        call_command("export_access_log", *args, stdout=io.StringIO())
    assert not AccessLogEntry.objects.exists()
