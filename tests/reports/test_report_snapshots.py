"""The reports over their default period counted by the periodic refresh (reports.snapshots,
issue 11): the same figures as counted live, read from one row; a change shows after the next
refresh (and the page says when it was counted); any other period is counted live.

Bad input tried: a period that is the default one shifted by a day (counted live, not read from
the snapshot of another period), and the page and CSV with a `from`/`to` typed by hand equal to
the default period (read from the snapshot, same bytes as without them).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from reports.models import ReportSnapshot
from reports.periods import Period, default_period
from reports.selectors import KINDS, run_report
from reports.snapshots import SNAPSHOT_KINDS, refresh_snapshots
from tests.reports.reports_support import TODAY, _records, build_all
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db
DEFAULT = default_period(today=TODAY)


@pytest.fixture
def data(frozen_today):
    frozen_today(TODAY)
    return build_all()


def live(kind: str, period: Period = DEFAULT):
    return KINDS[kind].build(period=period, today=TODAY, limit=None)


def counted_note(result) -> bool:
    return any("counted at" in note for note in result.notes)


@pytest.mark.parametrize("kind", SNAPSHOT_KINDS)
def test_the_snapshot_holds_the_live_figures(data, kind):
    # build_all ran the periodic task: the snapshot of the default period exists.
    assert ReportSnapshot.objects.filter(kind=kind, start=DEFAULT.start, end=DEFAULT.end).exists()
    stored = run_report(kind=kind, period=DEFAULT, today=TODAY)
    expected = live(kind)
    assert counted_note(stored)
    assert stored.rows == expected.rows
    assert [(c.key, c.label, c.kind) for c in stored.columns] == [
        (c.key, c.label, c.kind) for c in expected.columns
    ]
    assert stored.total_rows == expected.total_rows
    assert stored.rows, kind  # the data set has figures for each of them


def test_a_change_shows_after_the_next_refresh_and_other_periods_are_live(data):
    before = run_report(kind="late_records", period=DEFAULT, today=TODAY)
    _records(
        data,
        "L9",
        administrator="Gamma Claims",
        notice_sent_on=date(2026, 1, 5),
        method="electronic",
        complete=date(2026, 2, 20),
    )
    assert run_report(kind="late_records", period=DEFAULT, today=TODAY).rows == before.rows
    shifted = Period(DEFAULT.start + timedelta(days=1), DEFAULT.end)
    fresh = run_report(kind="late_records", period=shifted, today=TODAY)
    assert not counted_note(fresh)
    assert "Gamma Claims" in [row[0] for row in fresh.rows]
    refresh_snapshots(today=TODAY)
    after = run_report(kind="late_records", period=DEFAULT, today=TODAY)
    assert after.rows == live("late_records").rows
    assert "Gamma Claims" in [row[0] for row in after.rows]


def test_without_a_snapshot_the_default_period_is_counted_live(data):
    ReportSnapshot.objects.all().delete()
    result = run_report(kind="reviewer_productivity", period=DEFAULT, today=TODAY)
    assert not counted_note(result)
    assert result.rows == live("reviewer_productivity").rows


@pytest.mark.parametrize("kind", SNAPSHOT_KINDS)
def test_the_default_page_and_csv_read_the_snapshot(data, client, kind, django_assert_max_num_queries):
    client.force_login(data.staff)
    # Session, user, permissions (2), the device; the snapshot and the rollup state.
    with django_assert_max_num_queries(5 + SECOND_FACTOR_QUERIES + 2):
        page = client.get(reverse("reports:report", args=[kind]))
    assert page.status_code == 200
    assert "counted at" in page.content.decode()
    typed = {"from": DEFAULT.start.isoformat(), "to": DEFAULT.end.isoformat()}
    with django_assert_max_num_queries(5 + SECOND_FACTOR_QUERIES + 2):
        download = client.get(reverse("reports:report_csv", args=[kind]), typed)
    assert download.status_code == 200
    assert download.content == client.get(reverse("reports:report_csv", args=[kind])).content
