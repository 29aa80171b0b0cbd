"""The cases app's outbox jobs (`core.outbox`): registered from `CasesConfig.ready()`."""

from __future__ import annotations

from core import outbox

NOTIFY_PARTIES_EXPEDITED = "cases.notify_parties_expedited"


@outbox.register(NOTIFY_PARTIES_EXPEDITED, queue="email")
def notify_parties_expedited(*, case_id: int) -> None:
    from cases.services.notices import notify_parties_expedited as notify

    notify(case_id=case_id)
