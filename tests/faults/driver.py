"""QA approvals made the way the site makes them, from a separate process with the production
settings and broker (`Stack.run_driver`): `python -m tests.faults.driver approve USER_ID ID...`.

Each approval is its own request-like transaction: `qa_approve` writes the determination and
its issue-letter outbox row, and on commit hands the row to the broker (which may be down).
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from determinations.services.review import qa_approve

    command, user_id, *ids = argv
    if command != "approve":
        raise SystemExit(f"unknown command {command!r}")
    user = get_user_model().objects.get(pk=int(user_id))
    for determination_id in ids:
        qa_approve(determination_id=int(determination_id), by=user)
        print(f"approved {determination_id}")


if __name__ == "__main__":
    main(sys.argv[1:])
