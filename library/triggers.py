"""The one place that asks for a determination to be published.

`schedule_publication` is called inside the transaction that issues the letter (from the
`determination_issued` on-enter hook). It writes an outbox row (`core.outbox`) in that
transaction, so a rolled-back issue publishes nothing, a lost broker message only delays the
publication, and the PDF rendering runs outside the issuing request.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from core import outbox


def schedule_publication(*, determination_id: int) -> None:
    from library.jobs import PUBLISH_DETERMINATION

    outbox.enqueue(
        PUBLISH_DETERMINATION,
        payload={"determination_id": determination_id},
        key=f"determination:{determination_id}",
        cause="letter issued",
    )


def schedule_redacted_letter(*, determination_id: int) -> None:
    """The redacted letter, made by an outbox job LIBRARY_REDACTED_LETTER_DELAY_SECONDS from now.

    Nobody waits for it (the public library's copy): the delay keeps its rendering out of the
    way of the letters being issued and emailed. A download before then makes it at once."""
    from library.jobs import MAKE_REDACTED_LETTER

    delay = settings.LIBRARY_REDACTED_LETTER_DELAY_SECONDS
    outbox.enqueue(
        MAKE_REDACTED_LETTER,
        payload={"determination_id": determination_id},
        key=f"determination:{determination_id}",
        cause="determination published",
        delay=timedelta(seconds=delay) if delay > 0 else None,
    )
