"""What happens when a case enters a state: a registry the higher apps fill.

`cases` is the floor of the project: it must not import `reviewers` or `determinations`.
When a step needs work of a higher app (offer the case to a reviewer, end the reviewer's
assignment, supersede the determination), that app registers a hook here from its
`AppConfig.ready()` (it imports its `hooks` module there), and `transition_case` runs the
hooks of the state entered, inside the transition's transaction, after the new state is
saved and before its CaseEvent is written. A hook that raises rolls the whole step back.

Hooks run in registration order, which is the order of INSTALLED_APPS (`reviewers` before
`determinations`), then the order in each app's hooks module. A hook returns None or a
dict that is merged into the data of the transition's CaseEvent (e.g. which assignments
it ended), so the record says what the step did.

Plain Django signals are not used on purpose: this registry is the one list of who runs
what when a case enters a state (`registered_hooks()` lists it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib.auth.models import AbstractBaseUser

from cases.models import Case, CaseStatus


class OnEnterHook(Protocol):
    def __call__(self, *, case: Case, source: str, by: AbstractBaseUser | None) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class _Registered:
    hook: Callable[..., dict[str, Any] | None]
    sources: frozenset[str] | None  # None: entering from any state


_on_enter: dict[str, list[_Registered]] = defaultdict(list)


def on_enter(state: str, *, sources: Iterable[str] | None = None) -> Callable[[OnEnterHook], OnEnterHook]:
    """Register the decorated function to run when a case enters `state` (from `sources` only,
    when given). It is called as `hook(case=..., source=..., by=...)` with the locked case.
    """
    if state not in CaseStatus.values:
        raise ValueError(f"Unknown case state {state!r}.")
    from_states = None if sources is None else frozenset(sources)
    if from_states is not None and not from_states <= set(CaseStatus.values):
        raise ValueError(f"Unknown case state among {sorted(from_states)!r}.")

    def register(hook: OnEnterHook) -> OnEnterHook:
        if not any(entry.hook is hook for entry in _on_enter[state]):  # importing twice is harmless
            _on_enter[state].append(_Registered(hook, from_states))
        return hook

    return register


def run_on_enter(case: Case, *, source: str, by: AbstractBaseUser | None) -> dict[str, Any]:
    """Run the hooks of the state `case` just entered from `source`; returns their merged data.

    Called by `cases.services.workflow.transition_case` inside its transaction only.
    """
    data: dict[str, Any] = {}
    for entry in _on_enter.get(case.status, []):
        if entry.sources is not None and source not in entry.sources:
            continue
        data.update(entry.hook(case=case, source=source, by=by) or {})
    return data


def registered_hooks(state: str) -> list[Callable[..., Any]]:
    """The hooks that run on entering `state`, in the order they run (for tests and docs)."""
    return [entry.hook for entry in _on_enter.get(state, [])]


def unregister(state: str, hook: Callable[..., Any]) -> None:
    """Remove a hook (tests register temporary ones)."""
    _on_enter[state] = [entry for entry in _on_enter[state] if entry.hook is not hook]


# ---- Notes on the staff case page -------------------------------------------------------
# A higher app adds a line to the top of the staff case page (e.g. portal: "3 new records from
# the parties"): a function of the case returning (text, link or "") pairs, registered from its
# AppConfig.ready(). Each costs its own query; keep them to one.


@dataclass(frozen=True)
class CasePageNote:
    text: str
    url: str = ""


_case_page_notes: list[Callable[[Case], list[CasePageNote]]] = []


def case_page_note(fn: Callable[[Case], list[CasePageNote]]) -> Callable[[Case], list[CasePageNote]]:
    if fn not in _case_page_notes:
        _case_page_notes.append(fn)
    return fn


def case_page_notes(*, case: Case) -> list[CasePageNote]:
    return [note for fn in _case_page_notes for note in fn(case)]


# ---- Notices: the workflow asks, a higher app renders and delivers ----------------------


class NoticeSender(Protocol):
    def __call__(
        self, *, case: Case, kind: str, by: AbstractBaseUser | None, reason: str, source: str
    ) -> dict[str, Any] | None: ...


_notice_senders: list[NoticeSender] = []


def notice_sender(sender: NoticeSender) -> NoticeSender:
    """Register the function that sends a notice (`cases.models.NoticeKind`) to the parties.

    The determinations app registers one from `ready()`: it renders the notice and writes its
    deliveries and outbox rows in the caller's transaction, or raises a DomainError (a party
    with no address, a notice already sent) that rolls the whole step back."""
    if sender not in _notice_senders:
        _notice_senders.append(sender)
    return sender


def send_notice(
    *, case: Case, kind: str, by: AbstractBaseUser | None, reason: str = "", source: str = ""
) -> dict[str, Any]:
    """Send notice `kind` about the locked `case` to its parties, inside the caller's transaction.

    `reason` is the step's written reason (withdrawal, termination); `source` the state the case
    was in before the step. Returns what the senders did (for the event's data)."""
    data: dict[str, Any] = {}
    for sender in _notice_senders:
        data.update(sender(case=case, kind=kind, by=by, reason=reason, source=source) or {})
    return data


def registered_notice_senders() -> list[NoticeSender]:
    return list(_notice_senders)
