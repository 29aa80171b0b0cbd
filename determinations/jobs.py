"""The determinations app's outbox jobs (`core.outbox`): registered from `DeterminationsConfig.ready()`."""

from __future__ import annotations

from core import outbox

ISSUE_LETTER = "determinations.issue_letter"
SEND_DELIVERY = "determinations.send_delivery"


@outbox.register(ISSUE_LETTER, queue="letters")
def issue_letter(*, determination_id: int) -> None:
    """Issue the letter of a QA-approved determination; a repeat finds the stored letter."""
    from determinations.services.letters import issue_letter as issue

    issue(determination_id=determination_id)


@outbox.register(SEND_DELIVERY, queue="email")
def send_delivery(*, delivery_id: int) -> None:
    """Email one Delivery; a delivery already sent is never sent again."""
    from determinations.services.delivery import send_delivery as send

    send(delivery_id=delivery_id)


BUILD_POST_BATCH = "determinations.build_post_batch"


# Few attempts: a batch that cannot be built says so to the user waiting for it, who asks again.
@outbox.register(BUILD_POST_BATCH, queue="letters", max_attempts=3)
def build_post_batch(*, batch_id: int) -> None:
    """Build the printable PDF of one post batch; a repeat finds it built and builds nothing."""
    from determinations.services.post_batches import build_post_batch as build

    build(batch_id=batch_id)
