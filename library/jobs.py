"""The library's outbox jobs (`core.outbox`): registered from `LibraryConfig.ready()`."""

from __future__ import annotations

from core import outbox

PUBLISH_DETERMINATION = "library.publish_determination"
MAKE_REDACTED_LETTER = "library.make_redacted_letter"


# Writes the library's rows (no rendering); idempotent: a repeat writes the same rows, and
# `publish_decisions` catches up on anything older than the library.
@outbox.register(PUBLISH_DETERMINATION, queue="default")
def publish_determination(*, determination_id: int) -> None:
    from library.services.publication import publish_determination as publish

    publish(determination_id=determination_id, make_letter=False, letter_later=True)


# Renders the redacted PDF, so it runs beside the letters; scheduled LIBRARY_REDACTED_LETTER_DELAY_SECONDS
# after the publication, so a day's letters go out first. Idempotent: a repeat finds the stored copy.
@outbox.register(MAKE_REDACTED_LETTER, queue="letters")
def make_redacted_letter(*, determination_id: int) -> None:
    from library.services.publication import ensure_redacted_letter

    ensure_redacted_letter(determination_id=determination_id)
