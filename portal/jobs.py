"""The portal's outbox jobs (`core.outbox`): registered from `PortalConfig.ready()`."""

from __future__ import annotations

from core import outbox
from portal.services.organizations import INVITE_EMAIL
from portal.services.records import RECEIPT_EMAIL


@outbox.register(RECEIPT_EMAIL, queue="email")
def records_receipt(*, submission_id: int) -> None:
    from portal.services.records import send_receipt

    send_receipt(submission_id=submission_id)


@outbox.register(INVITE_EMAIL, queue="email")
def invite_email(*, user_id: int) -> None:
    from portal.services.organizations import send_invite_email

    send_invite_email(user_id=user_id)
