"""The cases app's outbox jobs (`core.outbox`): registered from `CasesConfig.ready()`."""

from __future__ import annotations

from core import outbox

NOTIFY_PARTIES_EXPEDITED = "cases.notify_parties_expedited"
WRITE_ACCESS_LOG = "cases.write_access_log"


@outbox.register(NOTIFY_PARTIES_EXPEDITED, queue="email")
def notify_parties_expedited(*, case_id: int) -> None:
    from cases.services.notices import notify_parties_expedited as notify

    notify(case_id=case_id)


@outbox.register(WRITE_ACCESS_LOG, queue="default")
def write_access_log(**listing: object) -> None:
    """The access-log rows of a large listing, deferred by `audit.log_listed_cases`."""
    from cases.services.audit import write_deferred_listing

    write_deferred_listing(**listing)  # type: ignore[arg-type]
