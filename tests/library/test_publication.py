"""Publication: on issue (through the task, on commit), once; out again on remand; letters lazily."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.hooks import registered_hooks
from cases.models import CaseStatus
from cases.services.workflow import transition_case
from core import clock, outbox
from core.models import OutboxJob, OutboxState
from determinations.models import DeterminationStatus
from determinations.services.letters import correct_letter, issue_letter
from library.hooks import publish_on_issue, unpublish_on_remand
from library.jobs import MAKE_REDACTED_LETTER
from library.models import PublishedItem, RedactedLetter
from library.services.publication import publish_determination
from tests.determinations.letters_support import approved_seed_determination, body_text
from tests.factories import UserFactory
from tests.library.party_check import party_field_hits
from tests.library.support import make_issued_case

pytestmark = pytest.mark.django_db


def test_hooks_are_registered_after_the_determinations_hooks():
    assert publish_on_issue in registered_hooks(CaseStatus.DETERMINATION_ISSUED)
    remand_hooks = registered_hooks(CaseStatus.READY_FOR_ASSIGNMENT)
    from determinations.hooks import supersede_on_remand

    assert remand_hooks.index(supersede_on_remand) < remand_hooks.index(unpublish_on_remand)


def test_issuing_publishes_on_commit_once(django_capture_on_commit_callbacks, time_machine, settings):
    """The rows at once; the redacted letter by its own job, LIBRARY_REDACTED_LETTER_DELAY_SECONDS later
    (not before: the sweeper leaves a job that is not due alone), then never again."""
    settings.LIBRARY_REDACTED_LETTER_DELAY_SECONDS = 600
    time_machine.move_to(clock.now(), tick=False)
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        letter = issue_letter(determination_id=determination.pk)
    # Nothing is published inside the issuing transaction: only on commit.
    assert not PublishedItem.objects.exists()
    for callback in callbacks:
        callback()
    rows = list(PublishedItem.objects.filter(determination=determination).order_by("position"))
    assert [row.position for row in rows] == [1, 2]
    # Not rendered with the rows: scheduled, and left alone by a sweep before it is due.
    assert not RedactedLetter.objects.exists()
    job = OutboxJob.objects.get(kind=MAKE_REDACTED_LETTER, payload={"determination_id": determination.pk})
    assert job.state == OutboxState.PENDING
    assert job.next_attempt_at == clock.now() + timedelta(seconds=600)
    time_machine.shift(timedelta(seconds=599))
    assert outbox.sweep()["due"] == 0
    assert not RedactedLetter.objects.exists()
    time_machine.shift(timedelta(seconds=2))
    assert outbox.sweep()["due"] == 1
    job.refresh_from_db()
    assert job.state == OutboxState.DONE
    redacted = RedactedLetter.objects.get(determination=determination)
    assert redacted.source_version == letter.version
    parties = list(determination.case.parties.all())
    assert party_field_hits(body_text(redacted.pdf.read()), parties) == []
    # A repeat (a retried task) writes the same rows and no second letter.
    publish_determination(determination_id=determination.pk)
    assert PublishedItem.objects.filter(determination=determination).count() == 2
    assert RedactedLetter.objects.filter(determination=determination).count() == 1


def test_a_rolled_back_issue_enqueues_nothing(django_capture_on_commit_callbacks, monkeypatch):
    determination = approved_seed_determination()
    calls = []
    monkeypatch.setattr("library.hooks.schedule_publication", lambda **kw: calls.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        issue_letter(determination_id=determination.pk)
    assert calls == [{"determination_id": determination.pk}]


def test_remand_takes_the_case_out_and_a_late_task_does_not_put_it_back(client):
    determination = make_issued_case()
    publish_determination(determination_id=determination.pk, make_letter=False)
    assert PublishedItem.objects.filter(case=determination.case).exists()
    transition_case(
        case_id=determination.case_id,
        to=CaseStatus.READY_FOR_ASSIGNMENT,
        by=UserFactory(),
        expected_from=CaseStatus.DETERMINATION_ISSUED,
        reason="WCAB remand",
    )
    assert not PublishedItem.objects.filter(case=determination.case).exists()
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.SUPERSEDED
    assert publish_determination(determination_id=determination.pk) == []
    number = determination.case.case_number
    assert client.get(f"/decisions/{number}/letter.pdf").status_code == 404


def test_the_letter_is_made_on_first_download_then_read(client, django_assert_max_num_queries):
    determination = make_issued_case()
    publish_determination(determination_id=determination.pk, make_letter=False)
    url = f"/decisions/{determination.case.case_number.lower()}/letter.pdf"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content)
    assert RedactedLetter.objects.filter(determination=determination).count() == 1
    assert "The injured worker" in body_text(pdf)
    with django_assert_max_num_queries(4):  # the case's determination, its latest letter, the copy
        again = client.get(url)
    assert b"".join(again.streaming_content) == pdf


def test_a_corrected_letter_gets_its_own_redacted_copy(
    client, django_capture_on_commit_callbacks, time_machine, settings
):
    time_machine.move_to(clock.now(), tick=False)
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=True):
        issue_letter(determination_id=determination.pk)
    # The first version's copy, made by its scheduled job once due.
    time_machine.shift(timedelta(seconds=settings.LIBRARY_REDACTED_LETTER_DELAY_SECONDS + 1))
    assert outbox.sweep()["due"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        correct_letter(determination_id=determination.pk, by=UserFactory(), reason="Typo in a date")
    response = client.get(f"/decisions/{determination.case.case_number}/letter.pdf")
    assert response.status_code == 200
    versions = sorted(
        RedactedLetter.objects.filter(determination=determination).values_list("source_version", flat=True)
    )
    assert versions == [1, 2]


def test_unknown_case_number_is_404(client):
    assert client.get("/decisions/CM99-9999999/letter.pdf").status_code == 404


def test_publish_command_backfills_imported_cases():
    from django.core.management import call_command

    determination = make_issued_case()
    call_command("publish_decisions", "--no-letters", verbosity=0)
    assert PublishedItem.objects.filter(determination=determination).count() == 1
    assert not RedactedLetter.objects.exists()
