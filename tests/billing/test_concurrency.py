"""Two runs of one month at once (the beat task and an administrator's command): they take turns
on the month's lock, and the second finds every case billed. Bad input tried: the same month
issued from two database sessions at the same moment."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from billing.models import Invoice, InvoiceLine
from billing.services.invoicing import issue_month
from tests.billing.support import billed_case


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_month_at_once_bill_each_case_once(postgres, frozen_today):
    frozen_today(date(2021, 6, 3))
    for name in ("Golden", "Pacific", "Harbor"):
        for day in (3, 4):
            billed_case(
                received_on=date(2021, 4, 1),
                outcome="withdrawn",
                outcome_on=date(2021, 5, day),
                claims_administrator=name,
            )
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(issue_month(period=date(2021, 5, 1)).cases_billed)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [0, 6]
    assert Invoice.objects.count() == 3 and InvoiceLine.objects.count() == 6
