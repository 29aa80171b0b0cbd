"""The assignment job run twice at once, through a real Celery worker and Redis on PostgreSQL.

Bad inputs tried: two job rows for the same case, each handed to the workers twice,
back to back, and from two threads at
once, for several cases; each case must end with exactly one assignment and one email.
"""

from __future__ import annotations

import threading
import time

import pytest

from cases.models import CaseStatus
from reviewers.jobs import ASSIGN_REVIEWER
from reviewers.models import Assignment
from tests.conftest import wait_for
from tests.outbox_support import enqueue_twice
from tests.reviewers.helpers import qualified_reviewer, ready_case

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_duplicate_tasks_assign_once(celery_worker, smtp_server):
    reviewers = [qualified_reviewer() for _ in range(3)]
    cases = [ready_case() for _ in range(4)]
    for case in cases:
        enqueue_twice(ASSIGN_REVIEWER, case_id=case.pk)
    threads = [
        threading.Thread(target=enqueue_twice, args=(ASSIGN_REVIEWER,), kwargs={"case_id": case.pk})
        for case in cases
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    wait_for(
        lambda: Assignment.objects.filter(case__in=cases).count() >= len(cases),
        what="every case to be assigned",
    )
    wait_for(lambda: len(smtp_server.messages) >= len(cases), what="one email per assignment")
    # Give any straggling duplicate time to (wrongly) write a second assignment or email.
    time.sleep(2)
    for case in cases:
        assert Assignment.objects.filter(case=case).count() == 1
        case.refresh_from_db()
        assert case.status == CaseStatus.ASSIGNED
    assert len(smtp_server.messages) == len(cases)
    load = sorted(Assignment.objects.active().values_list("reviewer_id", flat=True))
    # Four cases over three idle reviewers: nobody gets more than two.
    assert max(load.count(r.pk) for r in reviewers) == 2
