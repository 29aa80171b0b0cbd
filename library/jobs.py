"""The library's outbox job (`core.outbox`): registered from `LibraryConfig.ready()`."""

from __future__ import annotations

from core import outbox

PUBLISH_DETERMINATION = "library.publish_determination"


# Renders the redacted PDF, so it runs beside the letters. Idempotent: a repeat finds the rows
# and the stored PDF; `publish_decisions` catches up on anything older than the library.
@outbox.register(PUBLISH_DETERMINATION, queue="letters")
def publish_determination(*, determination_id: int) -> None:
    from library.services.publication import publish_determination as publish

    publish(determination_id=determination_id)
