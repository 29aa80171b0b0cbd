"""The one place that asks for a determination to be published.

`schedule_publication` is called inside the transaction that issues the letter (from the
`determination_issued` on-enter hook). It writes an outbox row (`core.outbox`) in that
transaction, so a rolled-back issue publishes nothing, a lost broker message only delays the
publication, and the PDF rendering runs outside the issuing request.
"""

from __future__ import annotations

from core import outbox


def schedule_publication(*, determination_id: int) -> None:
    from library.jobs import PUBLISH_DETERMINATION

    outbox.enqueue(
        PUBLISH_DETERMINATION,
        payload={"determination_id": determination_id},
        key=f"determination:{determination_id}",
        cause="letter issued",
    )
