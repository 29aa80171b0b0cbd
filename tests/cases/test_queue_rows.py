"""The work queue's and the staff search's rows, written in Python (`case_tags`): every variant.

Tried: a deadline one day and several days away, due today, one and several days overdue, no
deadline, a case marked overdue with its deadline still ahead, a flagged wait with and without
the permission to assign by hand, a wait not flagged, a wait with no known start, an expedited
case, a name and reason holding HTML (escaped), empty party fields (a dash).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

from django.template import Context, Template

from cases.models import CaseStatus, Priority
from cases.selectors import AssignmentWait

CASE_URL_ID = 41


def _case(**changes):
    values = {
        "pk": CASE_URL_ID,
        "case_number": "CM26-0000041",
        "employee_name": "Ana <b>Ruiz</b>",
        "claim_number": "CLM-1",
        "provider_name": "",
        "reviewer_number": None,
        "status": CaseStatus.READY_FOR_ASSIGNMENT,
        "priority": Priority.STANDARD,
        "received_on": date(2026, 3, 4),
        "days_in_state": 3,
        "item_count": 2,
        "next_deadline": date(2026, 3, 20),
        "overdue": False,
    }
    values.update(changes)
    case = SimpleNamespace(**values)
    case.get_status_display = lambda: CaseStatus(case.status).label
    return case


class _Perms:
    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed

    def __getitem__(self, app: str):
        return {"view_assignment": self.allowed}


def _row(case, days_left, wait=None, may_assign=True) -> str:
    template = Template("{% load case_tags %}{% queue_rows rows %}")
    html = template.render(Context({"rows": [(case, days_left, wait)], "perms": _Perms(may_assign)}))
    return html.replace("\xa0", " ")  # timesince's non-breaking spaces


def test_deadline_texts():
    assert "03/20/2026 (1 day left)" in _row(_case(), 1)
    assert "03/20/2026 (5 days left)" in _row(_case(), 5)
    assert '03/20/2026 <span class="due-soon">due today</span>' in _row(_case(), 0)
    assert '<span class="overdue">overdue by 1 day</span>' in _row(_case(), -1)
    assert '<span class="overdue">overdue by 12 days</span>' in _row(_case(), -12)
    assert "<td>—</td></tr>" in _row(_case(next_deadline=None), None)


def test_overdue_rows_are_marked():
    assert _row(_case(), -1).startswith('<tr class="table-danger">')
    assert _row(_case(overdue=True), 4).startswith('<tr class="table-danger">')
    assert _row(_case(), 4).startswith("<tr>")


def test_cells_are_escaped_and_blank_fields_show_a_dash():
    row = _row(_case(), 3)
    assert '<a href="/cases/41/">CM26-0000041</a>' in row
    assert "Ana &lt;b&gt;Ruiz&lt;/b&gt;" in row and "<b>" not in row
    assert '<td data-col="provider">—</td>' in row and '<td data-col="reviewer">—</td>' in row
    assert '<td data-col="claim">CLM-1</td>' in row
    assert "<td>03/04/2026</td>" in row and '<td data-col="days-in-state">3</td>' in row
    assert '<span class="badge status-badge status-ready_for_assignment">Ready for assignment</span>' in row
    assert "<td>Standard</td>" in row
    assert '<span class="badge text-bg-warning">Expedited</span>' in _row(
        _case(priority=Priority.EXPEDITED), 3
    )


def test_waits_flagged_and_not():
    since = datetime(2026, 3, 1, 9, 0)
    flagged = AssignmentWait(
        flagged=True, reason="No reviewer <qualifies>.", since=since, waited=timedelta(hours=30)
    )
    row = _row(_case(), 3, flagged)
    assert row.startswith('<tr class="table-warning">')
    assert "Not picked up</span> No reviewer &lt;qualifies&gt;." in row
    assert '<span class="text-nowrap">Waiting 1 day, 6 hours.</span>' in row
    assert f'<a href="/reviewers/cases/{CASE_URL_ID}/candidates/">Assign by hand</a>' in row
    assert "Assign by hand" not in _row(_case(), 3, flagged, may_assign=False)
    unknown_start = AssignmentWait(flagged=True, reason="Nobody.", since=None, waited=None)
    assert "Waiting" not in _row(_case(), 3, unknown_start)
    waiting = AssignmentWait(flagged=False, reason="", since=since, waited=timedelta(hours=3))
    row = _row(_case(), 3, waiting)
    assert row.startswith("<tr>") and '<div class="small text-body-secondary">Waiting 3 hours</div>' in row
    assert "Not picked up" not in row


def test_search_rows():
    template = Template("{% load case_tags %}{% search_rows cases %}")
    row = template.render(Context({"cases": [_case(claim_number=None)]}))
    assert row == (
        '<tr><td><a href="/cases/41/">CM26-0000041</a></td>'
        '<td><span class="badge status-badge status-ready_for_assignment">Ready for assignment</span></td>'
        "<td>Ana &lt;b&gt;Ruiz&lt;/b&gt;</td><td>—</td><td>03/04/2026</td></tr>\n"
    )
