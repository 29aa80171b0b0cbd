"""The reports on a constructed data set (tests/reports/reports_support.py), each figure worked
out by hand below; the web pages, CSV downloads and the `report` command; access logging.

Bad input tried: a date that does not exist (2026-02-30), a date in another format (01/31/2026),
a blank date, from after to, a period over a year, an unknown report kind (page, CSV and
command), an unknown --format, and each page without the permission (clinical QA, a reviewer)
and without logging in.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases import deadlines
from cases.models import AccessAction, AccessLogEntry
from imr_site import roles
from reports.periods import Period
from reports.selectors import run_report
from tests.factories import UserFactory
from tests.reports.reports_support import END, START, TODAY, build_all
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db
PERIOD = Period(START, END)


@pytest.fixture
def data(frozen_today):
    frozen_today(TODAY)
    return build_all()


def report(kind: str, **kwargs):
    return run_report(kind=kind, period=PERIOD, today=TODAY, **kwargs)


def test_monthly_volumes(data):
    result = report("volumes")
    rows = {(row[0].isoformat() if isinstance(row[0], date) else row[0]): row[1:] for row in result.rows}
    keys = [c.key for c in result.columns][1:]
    january = dict(zip(keys, rows["2026-01-01"], strict=True))
    february = dict(zip(keys, rows["2026-02-01"], strict=True))
    total = dict(zip(keys, rows["Total"], strict=True))
    # January: A1, A2, A4 eligible; A3 unsigned; D1 files A4's dispute again (a duplicate).
    assert january == {
        "gross": 5,
        "duplicates": 1,
        "unique": 4,
        "eligible": 3,
        "ineligible": 2,
        "unsigned": 1,
        "untimely": 0,
        "ur_decision_missing": 0,
        "not_medical_necessity": 0,
        "liability_disputed": 0,
        "duplicates_reason": 1,
        "staff_override": 0,
        "pending": 0,
    }
    # February: B1 eligible; B2 made ineligible by staff's override; B3 not checked yet.
    assert february == {
        "gross": 3,
        "duplicates": 0,
        "unique": 3,
        "eligible": 1,
        "ineligible": 1,
        "unsigned": 0,
        "untimely": 0,
        "ur_decision_missing": 0,
        "not_medical_necessity": 0,
        "liability_disputed": 0,
        "duplicates_reason": 0,
        "staff_override": 1,
        "pending": 1,
    }
    # X1 (2025-12-31) and X2 (2026-03-01) and the decided cases (December 2025) are outside.
    assert (
        total["gross"] == 8 and total["unique"] == 7 and total["eligible"] == 4 and total["ineligible"] == 3
    )


def _decision_rows(result):
    return {(row[0], row[1]): row[2:] for row in result.rows}


def test_decisions_and_overturn_rates(data):
    rows = _decision_rows(report("decisions"))
    # E1-E4 (issued in the period), two items each: E1 TPI, E3 PT and E4 TPI overturned.
    # E5 (issued 2026-03-02, both overturned) is outside.
    assert rows[("All", "All items")] == [8, 5, 3, 37.5]
    # Physical therapy: E1 up, E2 up, E3 over, E4 up; injections: E1 over, E2 up, E3 up, E4 over.
    assert rows[("Treatment category", "Physical medicine")] == [4, 3, 1, 25.0]
    assert rows[("Treatment category", "Injections")] == [4, 2, 2, 50.0]
    # R1 (first certification Orthopaedic Surgery) decided E1 and E3; R2 (Pain Medicine) E2 and E4.
    assert rows[("Reviewer specialty", "Orthopaedic Surgery")] == [4, 2, 2, 50.0]
    assert rows[("Reviewer specialty", "Pain Medicine")] == [4, 3, 1, 25.0]
    assert ("Reviewer specialty", "Preventive Medicine") not in rows
    # Standard: E1, E4; expedited: E2, E3.
    assert rows[("Priority", "Standard")] == [4, 2, 2, 50.0]
    assert rows[("Priority", "Expedited")] == [4, 3, 1, 25.0]


def test_the_rollup_recounts_only_the_days_that_changed(data, frozen_today):
    from reports.models import DecisionDay
    from reports.tasks import refresh_report_rollups
    from tests.factories import DeterminationFactory, ItemDecisionFactory
    from tests.reports.reports_support import make_case

    # A day later: the last run (at the data set's building) counted everything; this one takes
    # the determinations changed within its five-minute overlap again (all, built at one instant).
    frozen_today(date(2026, 3, 11))
    refresh_report_rollups.delay()
    untouched = set(DecisionDay.objects.filter(day=date(2026, 1, 30)).values_list("pk", flat=True))
    assert untouched
    case = make_case(received_on=date(2025, 12, 20), status="closed", priority="expedited")
    determination = DeterminationFactory(
        case=case, reviewer=data.reviewers["R2"], status="issued", issued_on=date(2026, 2, 25)
    )
    ItemDecisionFactory(
        determination=determination, disputed_item=case.disputed_items.first(), decision="overturned"
    )
    # Until the periodic task runs, the report shows the figures it counted last.
    assert _decision_rows(report("decisions"))[("All", "All items")] == [8, 5, 3, 37.5]
    # Recounted: 02-25 (all, category, priority and specialty rows) and today, 03-11 (nothing
    # issued); the new letter's clocks; no submission changed; the new case's day of receipt;
    # then the three reports over their default period (reports.snapshots).
    counted = refresh_report_rollups.delay().get()
    assert counted == {
        "days": 2,
        "rows": 4,
        "letters": 1,
        "submissions": 0,
        "received_days": 1,
        "snapshots": 3,
    }
    rows = _decision_rows(report("decisions"))
    assert rows[("All", "All items")] == [9, 5, 4, 44.4]
    assert rows[("Priority", "Expedited")] == [5, 3, 2, 40.0]
    assert rows[("Reviewer specialty", "Pain Medicine")] == [5, 3, 2, 40.0]
    # The days nobody changed were not rewritten.
    assert set(DecisionDay.objects.filter(day=date(2026, 1, 30)).values_list("pk", flat=True)) == untouched
    # The nightly full recount gives the same figures.
    refresh_report_rollups.delay(full=True)
    assert _decision_rows(report("decisions")) == rows
    assert report("volumes").rows[-1][1] == 8


def test_the_two_clocks_in_calendar_days_across_the_holidays(data):
    rows = {(row[0], row[2]): row[3:] for row in report("clocks").rows}
    # Letters mailed in the period: E1 02-02, E2 01-21, E3 01-22, E4 02-23 (E5 03-03 is outside).
    # NOARFI -> mailed: E1 01-05..02-02 = 28, E2 01-14..01-21 = 7, E3 01-14..01-22 = 8,
    # E4 01-09..02-23 = 45 (across Martin Luther King Jr. Day and Presidents' Day: calendar days).
    # Sorted 7, 8, 28, 45: average 88/4 = 22; median (8+28)/2 = 18;
    # 90th percentile at rank 0.9*3 = 2.7: 28 + 0.7*(45-28) = 39.9.
    assert rows[("noarfi_to_letter", "All")] == [4, 22.0, 18.0, 39.9]
    # Standard E1, E4: 28, 45 -> 36.5, 36.5, 28 + 0.9*17 = 43.3. Expedited E2, E3: 7, 8.
    assert rows[("noarfi_to_letter", "Standard")] == [2, 36.5, 36.5, 43.3]
    assert rows[("noarfi_to_letter", "Expedited")] == [2, 7.5, 7.5, 7.9]
    # Records complete -> mailed: E1 01-12..02-02 = 21, E2 01-15..01-21 = 6, E3 01-15..01-22 = 7,
    # E4 01-16..02-23 = 38. Sorted 6, 7, 21, 38: 72/4 = 18; (7+21)/2 = 14; 21 + 0.7*17 = 32.9.
    assert rows[("records_to_letter", "All")] == [4, 18.0, 14.0, 32.9]
    assert rows[("records_to_letter", "Standard")] == [2, 29.5, 29.5, 36.3]
    assert rows[("records_to_letter", "Expedited")] == [2, 6.5, 6.5, 6.9]


def test_determinations_decided_after_their_due_date(data):
    # E2 and E3 (expedited) were complete on Thu 01-15: 3 days is Sun 01-18, which moves past
    # Mon 01-19 (Martin Luther King Jr. Day) to Tue 01-20. E3 issued 01-20: on time; E2 01-21: 1 day
    # late. E4 (standard) complete 01-16: 30 days is Sun 02-15, past Mon 02-16 (Presidents' Day)
    # to Tue 02-17; issued 02-20: 3 days late. E1 due 02-11, issued 01-30: on time.
    assert data.cases["E2"].determination_due == date(2026, 1, 20)
    assert data.cases["E4"].determination_due == date(2026, 2, 17)
    result = report("late_determinations")
    assert result.rows == [
        [
            data.cases["E2"].case_number,
            "Expedited",
            date(2026, 1, 15),
            date(2026, 1, 20),
            date(2026, 1, 21),
            1,
        ],
        [
            data.cases["E4"].case_number,
            "Standard",
            date(2026, 1, 16),
            date(2026, 2, 17),
            date(2026, 2, 20),
            3,
        ],
    ]
    assert result.case_ids == [data.cases["E2"].pk, data.cases["E4"].pk]
    limited = report("late_determinations", limit=1)
    assert len(limited.rows) == 1 and limited.total_rows == 2
    second = report("late_determinations", limit=1, offset=1)
    assert second.rows == result.rows[1:] and second.case_ids == [data.cases["E4"].pk]


@pytest.mark.parametrize(
    ("page", "shown"),
    # Bad page numbers tried: a word, zero, negative, past the last page (the last page is shown).
    [("1", "E2"), ("2", "E4"), ("abc", "E2"), ("0", "E2"), ("-3", "E2"), ("99", "E4"), ("", "E2")],
)
def test_the_case_listing_comes_in_pages_and_logs_only_the_page_shown(data, client, monkeypatch, page, shown):
    monkeypatch.setattr("reports.views.PAGE_ROWS", 1)
    client.force_login(data.staff)
    query = {"from": START.isoformat(), "to": END.isoformat(), "page": page}
    response = client.get(reverse("reports:report", args=["late_determinations"]), query)
    assert response.status_code == 200
    body = response.content.decode()
    other = "E4" if shown == "E2" else "E2"
    assert data.cases[shown].case_number in body and data.cases[other].case_number not in body
    number = 1 if shown == "E2" else 2
    assert f"Page {number} of 2" in body
    assert ('rel="next"' in body) == (number == 1) and ('rel="prev"' in body) == (number == 2)
    viewed = AccessLogEntry.objects.filter(action=AccessAction.VIEW_CASE, user=data.staff)
    assert [e.case_id for e in viewed] == [data.cases[shown].pk]


def test_late_records_by_claims_administrator_with_penalties(data):
    # L1 (Acme): NOARFI mailed Fri 01-02 + 15 = Sat 01-17 -> past MLK Day to Tue 01-20; complete
    #   01-23: 3 days, $1,500.
    # L2 (Acme): electronic Mon 02-02 + 12 = Sat 02-14 -> past Presidents' Day to Tue 02-17; still
    #   missing on 03-10: 21 days, $10,500 capped at $5,000.
    # L3 (Beta): electronic Mon 01-12 + 12 = Sat 01-24 -> Mon 01-26; complete 01-27: 1 day, $500.
    # L4 (Beta) had its NOARFI in December: outside. E1-E5 had their records on time.
    assert data.cases["L1"].records_due == date(2026, 1, 20)
    assert data.cases["L2"].records_due == date(2026, 2, 17)
    assert data.cases["L3"].records_due == date(2026, 1, 26)
    assert deadlines.compute_records_late_penalty_usd(days_late=21) == 5000
    assert report("late_records").rows == [
        ["Acme Insurance", 2, 1, 24, 6500],
        ["Beta TPA", 1, 0, 1, 500],
        ["Total", 3, 1, 25, 7000],
    ]


def test_reviewer_productivity(data):
    # R1: E1 accepted 01-13 10:00, submitted 01-28 10:00 (15 days); E3 01-15 08:00 -> 01-19 08:00
    #   (4 days); median 9.5. E5 was submitted in March. QA returns in the period: E1 on 01-25.
    # R2: E2 01-15 09:00 -> 01-20 09:00 (5 days); E4 01-20 12:00 -> 02-18 12:00 (29 days); median
    #   17. QA returns: E4 on 02-10 and 02-12.
    assert report("reviewer_productivity").rows == [["R01001", 2, 9.5, 1], ["R01002", 2, 17.0, 2]]


def test_an_empty_period_reports_zeros_not_errors(data):
    empty = Period(date(2024, 1, 1), date(2024, 1, 31))
    for kind in (
        "volumes",
        "decisions",
        "clocks",
        "late_determinations",
        "late_records",
        "reviewer_productivity",
    ):
        result = run_report(kind=kind, period=empty, today=TODAY)
        assert result.kind == kind
    assert run_report(kind="clocks", period=empty, today=TODAY).rows[0] == [
        "noarfi_to_letter",
        "NOARFI sent to letter mailed",
        "All",
        0,
        None,
        None,
        None,
    ]


# ---- Pages, CSV, command ----


@pytest.mark.parametrize(
    "kind", ["volumes", "decisions", "clocks", "late_determinations", "late_records", "reviewer_productivity"]
)
def test_each_report_page_and_csv(data, client, kind, django_assert_max_num_queries):
    client.force_login(data.staff)
    query = {"from": START.isoformat(), "to": END.isoformat()}
    # Session, user, permissions (2), the device; then the report's own queries (at most 6) and,
    # for the case listing, the access-log insert.
    with django_assert_max_num_queries(5 + SECOND_FACTOR_QUERIES + 6):
        page = client.get(reverse("reports:report", args=[kind]), query)
    assert page.status_code == 200
    assert f'data-report="{kind}"' in page.content.decode()
    with django_assert_max_num_queries(5 + SECOND_FACTOR_QUERIES + 6):
        download = client.get(reverse("reports:report_csv", args=[kind]), query)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert f'filename="{kind}_2026-01-01_2026-02-28.csv"' in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    expected = run_report(kind=kind, period=PERIOD, today=TODAY)
    assert rows[0] == [c.key for c in expected.columns]
    assert len(rows) - 1 == len(expected.rows)


def test_the_csv_writes_plain_values(data, client):
    client.force_login(data.staff)
    query = {"from": START.isoformat(), "to": END.isoformat()}
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("reports:report_csv", args=["volumes"]), query).content.decode())
        )
    )
    assert rows[0]["month"] == "2026-01" and rows[0]["gross"] == "5" and rows[-1]["month"] == "Total"
    clocks = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("reports:report_csv", args=["clocks"]), query).content.decode())
        )
    )
    assert clocks[0]["p90_days"] == "39.9"


def test_only_the_case_listing_writes_access_log_rows(data, client):
    client.force_login(data.staff)
    query = {"from": START.isoformat(), "to": END.isoformat()}
    before = AccessLogEntry.objects.count()
    for kind in ("volumes", "decisions", "clocks", "late_records", "reviewer_productivity"):
        assert client.get(reverse("reports:report", args=[kind]), query).status_code == 200
    assert AccessLogEntry.objects.count() == before
    client.get(reverse("reports:report", args=["late_determinations"]), query)
    viewed = AccessLogEntry.objects.filter(action=AccessAction.VIEW_CASE, user=data.staff).order_by("id")
    assert [e.case_id for e in viewed] == [data.cases["E2"].pk, data.cases["E4"].pk]
    assert all("late_determinations" in e.object_repr and e.path.startswith("/reports/") for e in viewed)
    client.get(reverse("reports:report_csv", args=["late_determinations"]), query)
    exported = AccessLogEntry.objects.filter(action=AccessAction.EXPORT, user=data.staff)
    assert sorted(e.case_id for e in exported) == sorted([data.cases["E2"].pk, data.cases["E4"].pk])


def test_the_command_prints_csv_and_json_and_logs_the_listing(data):
    out = io.StringIO()
    call_command("report", "late_records", "--from", "2026-01-01", "--to", "2026-02-28", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["claims_administrator", "cases", "still_missing", "days_late", "penalty_usd"]
    assert rows[1] == ["Acme Insurance", "2", "1", "24", "6500"]
    out = io.StringIO()
    call_command(
        "report", "clocks", "--from", "2026-01-01", "--to", "2026-02-28", "--format", "json", stdout=out
    )
    parsed = json.loads(out.getvalue())
    assert parsed["report"] == "clocks" and parsed["from"] == "2026-01-01"
    assert parsed["rows"][0]["median_days"] == 18.0
    before = AccessLogEntry.objects.count()
    call_command(
        "report", "late_determinations", "--from", "2026-01-01", "--to", "2026-02-28", stdout=io.StringIO()
    )
    logged = AccessLogEntry.objects.order_by("id")[before:]
    assert [e.case_id for e in logged] == [data.cases["E2"].pk, data.cases["E4"].pk]
    assert all(e.user is None and e.os_user and e.action == AccessAction.EXPORT for e in logged)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["volumes", "--from", "2026-02-30", "--to", "2026-03-01"],
            "The from date '2026-02-30' is not a date",
        ),
        (["volumes", "--from", "01/31/2026", "--to", "2026-03-01"], "write it as YYYY-MM-DD"),
        (["volumes", "--from", "2026-03-01", "--to", "2026-01-01"], "is after the to date"),
        (["volumes", "--from", "2025-01-01", "--to", "2026-03-01"], "at most 366 days"),
        (["monthly", "--from", "2026-01-01", "--to", "2026-01-31"], "Unknown report 'monthly'"),
        (
            ["volumes", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "xml"],
            "invalid choice: 'xml'",
        ),
    ],
)
def test_the_command_refuses_bad_input_clearly(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("report", *args, stdout=io.StringIO())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "The from date &#x27;2026-02-30&#x27; is not a date"),
        ({"from": "2026-03-01", "to": "2026-01-01"}, "(2026-03-01) is after the to date (2026-01-01)"),
        ({"from": "", "to": "2026-01-01"}, "Give the from date"),
        ({"from": "2026-01-01", "to": "soon"}, "The to date &#x27;soon&#x27; is not a date"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "at most 366 days"),
    ],
)
def test_the_pages_refuse_bad_dates_with_a_message(client, staff, query, message):
    client.force_login(staff)
    page = client.get(reverse("reports:report", args=["volumes"]), query)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert 'class="form-control is-invalid"' in page.content.decode()
    download = client.get(reverse("reports:report_csv", args=["volumes"]), query)
    assert download.status_code == 400
    assert download["Content-Type"].startswith("text/plain")


def test_an_unknown_report_is_not_found(client, staff):
    client.force_login(staff)
    assert client.get("/reports/monthly/").status_code == 404
    assert client.get("/reports/monthly.csv").status_code == 404


def test_the_default_period_is_the_last_twelve_months(client, staff, frozen_today):
    frozen_today(TODAY)
    client.force_login(staff)
    page = client.get(reverse("reports:report", args=["volumes"]))
    assert page.status_code == 200
    assert 'value="2025-04-01"' in page.content.decode() and 'value="2026-03-10"' in page.content.decode()


@pytest.mark.parametrize("role", [roles.CLINICAL_QA, roles.REVIEWER])
def test_other_roles_may_not_see_reports(client, role):
    client.force_login(UserFactory(username="other", role=role))
    for url in ["/dashboard/", "/reports/", "/reports/volumes/", "/reports/volumes.csv"]:
        assert client.get(url).status_code == 403, url


def test_an_administrator_may_and_nobody_logged_out(client):
    for url in ["/dashboard/", "/reports/", "/reports/volumes/"]:
        assert client.get(url).status_code == 302
    client.force_login(UserFactory(username="admin1", role=roles.ADMINISTRATOR))
    for url in ["/dashboard/", "/reports/", "/reports/volumes/"]:
        assert client.get(url).status_code == 200, url
