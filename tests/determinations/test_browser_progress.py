"""Feedback on slow work in a real browser (Debian chromium), with a real Celery worker.

QA approves a submitted determination: the Approve button is disabled as soon as it is clicked
and a second submit of the form while the first is on its way sends nothing (a script added to
the page records the button just after the submit and submits again; the browser sends one
POST). The QA queue then shows the letter's status
row, "Issuing the letter…", which turns to "Letter issued" by htmx polling, without a reload of
the page, once the real worker (through Redis) has issued the letter. No Content-Security-Policy
violation on the way (htmx runs under `script-src 'self'`, without eval or inline styles).

To see "Issuing" for certain, the test holds the PostgreSQL advisory lock the outbox takes on
the issue job's row (a real lock, from another connection, as a busy worker would): the worker's
first try finds the row taken and leaves it waiting; the lock is let go and the row handed to
the worker again, as the sweeper would.

Then the post tray's batch: "Print all" is a form whose button is disabled on click; the batch
page says "Preparing 2 letters to print…" and turns to "Download the PDF" when the worker built it.

Screenshots: tests/output/progress-issuing-1280.png, progress-issued-1280.png,
progress-issued-390.png, progress-batch-ready-1280.png, progress-batch-ready-390.png.
"""

from __future__ import annotations

import re

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import CaseStatus
from core import outbox
from core.models import OutboxJob
from determinations.jobs import BUILD_POST_BATCH, ISSUE_LETTER
from determinations.models import Determination, DeterminationStatus, Letter, PostBatch, PostBatchState
from determinations.services.letters import issue_letter
from imr_site import roles
from tests.conftest import PROJECT_DIR, wait_for
from tests.determinations.letters_support import approved_seed_determination
from tests.determinations.review_support import qa_user
from tests.factories import UserFactory
from tests.second_factor import browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

TIMEOUT_MS = 60_000  # the worker lays out a letter in 1.5-3 s; on a busy CI machine, more


@pytest.fixture(autouse=True)
def _worker_media(settings) -> None:
    """The live server reads the files the worker writes (its MEDIA_ROOT, tests/conftest.py)."""
    settings.MEDIA_ROOT = PROJECT_DIR / "var" / "test-worker-media"


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def _hold_next_job_locks(count: int = 3) -> psycopg.Connection:
    """Take, from a connection of its own, the outbox's advisory locks of the next job rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM core_outboxjob_id_seq")
        last_value, is_called = cursor.fetchone()
    first = last_value + 1 if is_called else last_value
    db = connection.settings_dict
    holder = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
        autocommit=True,
    )
    for job_id in range(first, first + count):
        holder.execute("SELECT pg_advisory_lock(%s, %s)", [outbox.ADVISORY_NAMESPACE, job_id])
    return holder


def _probe_submits(page, action_part: str) -> list[str]:
    """Record, in the page, the submit button's state just after a submit of the form posting to
    `action_part`, and submit that form once more while the first is on its way (a double
    click); returns the list of POSTs the browser sends there."""
    page.add_init_script(
        "window.addEventListener('submit', e => {"
        f"  const form = e.target; if (e.defaultPrevented || !form.action.includes({action_part!r})) return;"
        "  setTimeout(() => {"
        "    const b = form.querySelector('button[type=submit], button:not([type])');"
        "    const state = {disabled: b.disabled, busy: b.getAttribute('aria-busy')};"
        "    sessionStorage.setItem('probe', JSON.stringify(state));"
        "    form.requestSubmit();"
        "  }, 0);"
        "});"
    )
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and action_part in r.url else None)
    return posts


def _assert_sent_once_with_buttons_disabled(page, posts: list[str]) -> None:
    probe = page.evaluate("JSON.parse(sessionStorage.getItem('probe'))")
    assert probe == {"disabled": True, "busy": "true"}, probe
    assert len(posts) == 1, posts


def test_qa_approves_and_the_status_row_turns_to_issued_without_a_reload(page, output_dir, celery_worker):
    determination = approved_seed_determination(
        case_status=CaseStatus.QA_REVIEW, status=DeterminationStatus.SUBMITTED
    )
    case = determination.case
    violations = _watch_csp(page)
    browser_login(page, qa_user())
    posts = _probe_submits(page, "/approve/")
    page.goto(reverse("review:qa_determination", args=[determination.pk]))
    approve = page.get_by_role("button", name="Approve")
    expect(approve).to_be_enabled()
    holder = _hold_next_job_locks()
    try:
        approve.click()
        # The queue with the status row: issuing (the worker cannot take the job yet).
        row = page.locator(f"#letter-status-{determination.pk}")
        expect(row).to_contain_text("Issuing the letter…")
        expect(row).to_have_attribute("data-letter-state", "issuing")
        expect(page.locator(".letter-status-row[role=status][aria-live=polite]")).to_be_visible()
        assert page.url.endswith(f"{reverse('review:qa_queue')}?issuing={determination.pk}")
        _assert_sent_once_with_buttons_disabled(page, posts)
        page.evaluate("window.__sameDocument = true")  # gone if the page were loaded again
        polls = []
        page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") == "true" else None)
        page.screenshot(path=str(output_dir / "progress-issuing-1280.png"), full_page=True)
        job = OutboxJob.objects.get(kind=ISSUE_LETTER, key=f"determination:{determination.pk}")
        # The worker got the row and left it: taken by another session (the held lock).
        wait_for(
            lambda: OutboxJob.objects.filter(pk=job.pk, enqueued_at__isnull=False).exists(), what="hand-over"
        )
    finally:
        holder.close()  # the locks go with the connection
    outbox.dispatch([job.pk])  # handed over again, as the sweeper would

    expect(row).to_contain_text("Letter issued", timeout=TIMEOUT_MS)
    expect(row).to_have_attribute("data-letter-state", "done")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert polls and all("letter-status" in url for url in polls)
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.ISSUED
    assert Letter.objects.filter(determination=determination).count() == 1
    # Polling stopped: no request for a while after "issued".
    count = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == count, "the row kept polling after the letter was issued"
    page.screenshot(path=str(output_dir / "progress-issued-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(row).to_be_visible()
    expect(row).to_contain_text(f"Case {case.case_number}:")
    box = row.bounding_box()
    assert box is not None and box["width"] <= 390
    page.screenshot(path=str(output_dir / "progress-issued-390.png"), full_page=True)
    assert violations == []


def test_the_post_batch_is_prepared_in_the_background(page, output_dir, celery_worker):
    determination = approved_seed_determination()
    determination.case.parties.filter(role__in=("employee", "employer")).update(
        email="", mailing_address="1 Packing House Road\nFresno, CA 93725"
    )
    issue_letter(determination_id=determination.pk)
    staff = UserFactory(role=roles.INTAKE_STAFF)
    violations = _watch_csp(page)
    browser_login(page, staff)
    posts = _probe_submits(page, reverse("letters:post_batch_request"))
    page.goto(reverse("letters:to_post"))
    holder = _hold_next_job_locks()
    try:
        page.get_by_role("button", name="Print all 2 as one PDF").click()
        state = page.locator("[data-batch-state]")
        expect(state).to_have_attribute("data-batch-state", "pending")
        expect(state).to_contain_text("Preparing 2 letters to print…")
        _assert_sent_once_with_buttons_disabled(page, posts)
        batch = PostBatch.objects.get()
        assert batch.state == PostBatchState.PENDING
        job = OutboxJob.objects.get(kind=BUILD_POST_BATCH)
        wait_for(
            lambda: OutboxJob.objects.filter(pk=job.pk, enqueued_at__isnull=False).exists(), what="hand-over"
        )
    finally:
        holder.close()
    outbox.dispatch([job.pk])
    download = page.get_by_role("link", name="Download the PDF")
    expect(download).to_be_visible(timeout=TIMEOUT_MS)
    expect(state).to_have_attribute("data-batch-state", "ready")
    page.screenshot(path=str(output_dir / "progress-batch-ready-1280.png"), full_page=True)
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == f"letters-to-post-{batch.pk}.pdf"
    page.set_viewport_size({"width": 390, "height": 844})
    expect(download).to_be_visible()
    page.screenshot(path=str(output_dir / "progress-batch-ready-390.png"), full_page=True)
    assert Determination.objects.get(pk=determination.pk).status == DeterminationStatus.ISSUED
    assert violations == []


def test_a_poll_after_the_session_ended_goes_to_the_log_in_page(page):
    """The session ends while the row polls (here: deleted on the server, as the idle log-off
    does): the log-in page is not swapped into the row; the page goes to it."""
    from django.contrib.sessions.models import Session

    determination = approved_seed_determination()  # approved: its letter "being issued" for good
    violations = _watch_csp(page)
    browser_login(page, qa_user())
    page.goto(reverse("review:qa_determination", args=[determination.pk]))
    row = page.locator(f"#letter-status-{determination.pk}")
    expect(row).to_contain_text("Issuing the letter…")
    expect(row).to_have_attribute("hx-trigger", "every 1s")
    Session.objects.all().delete()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_label("Username")).to_be_visible()
    assert violations == []
