"""The staff workflow steps of a case, one row each: the one place a step's rule is written.

A row says from which states the step is offered, where it leads, the guard (a function
returning why the step is blocked right now, or None), the label of its button, the form
the case page shows, the message when done and the permission it needs beyond
`cases.transition_case`. The services refuse a step with `ensure_step` (the guard's
reason), the case page lists the steps with `cases.selectors.available_actions` (the
button greyed out with the same reason, or hidden when the row says so), the view posts to
`STEPS[key].service` and the admin actions run the same services by key.

A row also says how the page offers the step (docs/steps.md): a likely next step is a primary
button, a `rare` one an entry of "More actions" opening the step's own page (`heading`,
`explanation`); an irreversible one names the box to tick (`confirm`, checked by the form on
the server); `outcome` says what the step did and what happens next, read from the case after it
(`cases.step_outcomes`).

Guards chosen (domain.md leaves them open; see `cases.services.case_actions`):
- eligibility is confirmed or overridden once; the NOARFI goes only after that;
- records are complete only with at least one medical record on file;
- a case is closed only after its appeal period (from the letter's mailing) has run;
- a case is made expedited once.
Checks of what the user typed (a reason, a date) stay with the forms and services.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User

from cases import forms as case_forms
from cases import step_outcomes as after
from cases.errors import GuardError, TransitionNotAllowedError
from cases.models import OPEN_STATUSES, Case, CaseStatus, DocumentKind, NoticeKind, Priority
from cases.services.workflow import ensure_unchanged, status_label

if TYPE_CHECKING:
    from collections.abc import Sequence

S = CaseStatus
Guard = Callable[[Case, date], str | None]


# ---- Guards: why a step is blocked now (None: it is not) --------------------------------


def eligibility_undecided(case: Case, on: date) -> str | None:
    if case.eligibility_confirmed is not None:
        return f"The eligibility of case {case.case_number} was already decided."
    return None


def confirmed_eligible(case: Case, on: date) -> str | None:
    if case.eligibility_confirmed is not True:
        return "Confirm the case eligible (or override the finding) before sending the notice of assignment."
    return None


def eligibility_notice_not_sent(case: Case, on: date) -> str | None:
    reason = confirmed_eligible(case, on)
    if reason:
        return "Confirm the case eligible before sending the notice of eligibility."
    # The determinations app's notices, read through their reverse relation by name.
    if case.notices.filter(kind=NoticeKind.ELIGIBILITY).exists():
        return f"The notice of eligibility of case {case.case_number} was already sent."
    return None


def has_consolidated_cases(case: Case, on: date) -> str | None:
    if not case.consolidated_cases.exists():
        return "No case is consolidated into this one."
    return None


def has_medical_record(case: Case, on: date) -> str | None:
    # Reads the prefetched documents when the page loaded them.
    if not any(document.kind == DocumentKind.MEDICAL_RECORD for document in case.documents.all()):
        return "Add at least one medical record document before marking the records complete."
    return None


def appeal_period_over(case: Case, on: date) -> str | None:
    if case.appeal_due is None:
        return "The letter has not been mailed yet: the appeal period has not started."
    if case.appeal_due >= on:
        return f"The appeal period runs until {case.appeal_due.isoformat()}: close the case after that date."
    return None


def ends_ineligible(case: Case) -> str:
    """Confirming a finding of "not eligible" ends the review: the box says so."""
    from cases.eligibility import evaluate_eligibility  # it reads the parties and the items

    if evaluate_eligibility(case=case).eligible:
        return ""
    return (
        "I understand the computed finding is not eligible: confirming it ends the review and sends "
        "the notice of ineligibility to every party."
    )


def not_expedited(case: Case, on: date) -> str | None:
    if case.priority == Priority.EXPEDITED:
        return f"Case {case.case_number} is already expedited."
    return None


# ---- The table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    key: str
    label: str  # the button on the case page
    sources: tuple[str, ...]  # the states the step is offered from
    target: str | None  # the state it leads to; None when it decides (or keeps the state)
    cannot: str  # "Case X is <state>: it cannot <cannot> now."
    form_class: type[case_forms.ActionForm]
    done: str  # the message once done
    service_name: str  # in cases.services.case_actions
    guard: Guard | None = None
    hide_when_blocked: bool = False  # False: shown greyed out with the guard's reason
    permission: str | None = None  # needed besides cases.transition_case
    forbidden: str = ""  # the refusal without that permission
    # How the case page offers it: a likely next step is a primary button (its form on the
    # page); a rare one an entry of "More actions", opening its own page.
    rare: bool = False
    heading: str = ""  # the step page's heading (default: the label)
    explanation: str = ""  # what the step does, on its page
    # An irreversible step: the box to tick (checked by the form, server-side) before it runs;
    # or, for a step irreversible only in some cases, a function of the case naming the box ("": none).
    confirm: str = ""
    confirm_if: Callable[[Case], str] | None = None
    # What happened and what happens next, read from the case after the step (cases.step_outcomes).
    outcome: Callable[[Case], str] | None = None

    @property
    def service(self) -> Callable[..., object]:
        # The services import this table for the guards: look them up when called.
        return getattr(importlib.import_module("cases.services.case_actions"), self.service_name)

    def blocked(self, *, case: Case, on: date) -> str | None:
        """Why the step cannot be taken now (None: it can), the state aside."""
        if case.consolidated_into_id is not None:
            # Its items are reviewed in the lead case: every step is taken there (or split first).
            return "This case is consolidated into another case: take the steps there, or split it off first."
        return self.guard(case, on) if self.guard is not None else None

    def offered_to(self, user: User) -> bool:
        return self.permission is None or user.has_perm(self.permission)

    @property
    def title(self) -> str:
        return self.heading or self.label

    def confirmation(self, case: Case) -> str:
        """The box to tick before the step runs on `case` ("": none)."""
        if self.confirm:
            return self.confirm
        return self.confirm_if(case) if self.confirm_if is not None else ""

    def form(
        self, data: Mapping[str, Any] | None = None, *, case: Case, initial: dict[str, object] | None = None
    ) -> case_forms.ActionForm:
        """The step's form on `case`, with the box to tick when the step cannot be undone."""
        form = self.form_class(data, prefix=self.key, initial=initial)
        confirm = self.confirmation(case)
        if confirm:
            form.fields["confirm"] = case_forms.confirmation_field(confirm)
        return form

    def message_after(self, *, case: Case) -> str:
        """The done message and what happens next (the outcome read from the case)."""
        after = self.outcome(case) if self.outcome is not None else ""
        return f"{self.done} {after}".strip()


_OPEN = tuple(OPEN_STATUSES)

# In the order the steps are usually taken: the case page lists them in this order.
_TABLE: Sequence[Step] = (
    Step(
        key="start_eligibility_review",
        label="Start eligibility review",
        sources=(S.RECEIVED,),
        target=S.ELIGIBILITY_REVIEW,
        cannot="start its eligibility review",
        form_class=case_forms.ConfirmActionForm,
        done="Eligibility review started.",
        service_name="start_eligibility_review",
        explanation="Check the application against the eligibility rules; the computed finding shows on "
        "the case page.",
        outcome=after.after_eligibility_review_started,
    ),
    Step(
        key="confirm_eligibility",
        label="Confirm the finding",
        sources=(S.ELIGIBILITY_REVIEW,),
        target=None,  # stays for the NOARFI, or ends ineligible
        cannot="have its eligibility confirmed",
        form_class=case_forms.ConfirmActionForm,
        done="Eligibility finding confirmed.",
        service_name="confirm_eligibility",
        guard=eligibility_undecided,
        hide_when_blocked=True,
        explanation="Accept the computed finding: an eligible case waits for its NOARFI, an ineligible one "
        "ends with the notice of ineligibility to every party.",
        confirm_if=ends_ineligible,
        outcome=after.after_eligibility_decided,
    ),
    Step(
        key="override_eligibility",
        label="Override the finding",
        sources=(S.ELIGIBILITY_REVIEW,),
        target=None,
        cannot="have its eligibility overridden",
        form_class=case_forms.OverrideEligibilityForm,
        done="Eligibility finding overridden.",
        service_name="override_eligibility",
        guard=eligibility_undecided,
        hide_when_blocked=True,
        permission="cases.override_eligibility",
        forbidden="You may not override eligibility findings.",
        rare=True,
        heading="Override the eligibility finding",
        explanation="Decide against the computed finding, with a written reason that is logged on the "
        "timeline. Found not eligible, the case ends and every party is sent the notice of ineligibility.",
        confirm="I understand this decides the case's eligibility against the computed finding; "
        "found not eligible, the review ends.",
        outcome=after.after_eligibility_decided,
    ),
    Step(
        key="send_eligibility_notice",
        label="Send the notice of eligibility",
        sources=(S.ELIGIBILITY_REVIEW,),
        target=None,  # the NOARFI follows later
        cannot="have its notice of eligibility sent",
        form_class=case_forms.ConfirmActionForm,
        done="Notice of eligibility sent to the parties.",
        service_name="send_eligibility_notice",
        guard=eligibility_notice_not_sent,
        hide_when_blocked=True,
        rare=True,
        heading="Send the notice of eligibility",
        explanation="Tell the parties the application was found eligible, when the NOARFI does not follow "
        "at once. Each party with an email address is emailed the notice; the others' copies go to the "
        "post tray.",
        outcome=after.after_eligibility_notice,
    ),
    Step(
        key="send_notice",
        label="Send the NOARFI",
        sources=(S.ELIGIBILITY_REVIEW,),
        target=S.AWAITING_RECORDS,
        cannot="have its NOARFI sent",
        form_class=case_forms.NoticeForm,
        done="Notice of assignment sent to the parties (email, or the post tray where a party has no email).",
        service_name="send_notice_of_assignment",
        guard=confirmed_eligible,
        hide_when_blocked=True,
        explanation="The Notice of Assignment and Request for Information goes to every party (email with "
        "the PDF, or the post tray where a party has no email); the medical records clock starts from it.",
        outcome=after.after_noarfi,
    ),
    Step(
        key="consolidate",
        label="Consolidate cases into this one",
        sources=(S.RECEIVED, S.ELIGIBILITY_REVIEW),
        target=None,
        cannot="have other cases consolidated into it",
        form_class=case_forms.ConsolidationForm,
        done="Cases consolidated: their disputed items are reviewed in this case.",
        service_name="consolidate",
        rare=True,
        heading="Consolidate other applications into this case",
        explanation="Applications of the same employee, date of injury and requesting physician, whose "
        "NOARFI is not yet sent, are reviewed together in this case: one NOARFI, one reviewer, one letter.",
    ),
    Step(
        key="split",
        label="Split consolidated cases off",
        sources=(S.RECEIVED, S.ELIGIBILITY_REVIEW, S.AWAITING_RECORDS, S.READY_FOR_ASSIGNMENT),
        target=None,
        cannot="have cases split off",
        form_class=case_forms.ConsolidationForm,
        done="Cases split off: each continues on its own.",
        service_name="split_consolidation",
        guard=has_consolidated_cases,
        hide_when_blocked=True,
        explanation="Take applications consolidated into this case out again, before it is assigned: each "
        "continues on its own.",
    ),
    Step(
        key="records_complete",
        label="Mark records complete",
        sources=(S.AWAITING_RECORDS,),
        target=S.READY_FOR_ASSIGNMENT,
        cannot="have its records marked complete",
        form_class=case_forms.RecordsCompleteForm,
        done="Records marked complete.",
        service_name="mark_records_complete",
        guard=has_medical_record,
        explanation="The application and the medical records are in: the determination clock starts and "
        "the case goes to a reviewer (picked automatically; the reviewer is emailed).",
        outcome=after.after_records_complete,
    ),
    Step(
        key="close",
        label="Close the case",
        sources=(S.DETERMINATION_ISSUED,),
        target=S.CLOSED,
        cannot="be closed",
        form_class=case_forms.CloseForm,
        done="Case closed.",
        service_name="close_case",
        guard=appeal_period_over,
        heading="Close the case",
        explanation="The appeal period after the letter has run: the case is closed. A closed case can no "
        "longer be remanded.",
        confirm="I understand that closing the case cannot be undone: it can no longer be remanded.",
        outcome=after.after_close,
    ),
    Step(
        key="remand",
        label="Remand (WCAB order)",
        sources=(S.DETERMINATION_ISSUED,),
        target=S.READY_FOR_ASSIGNMENT,
        cannot="be remanded",
        form_class=case_forms.RemandForm,
        done="Case remanded for a new review.",
        service_name="remand_case",
        rare=True,
        heading="Remand the case (WCAB order)",
        explanation="A WCAB order sends the case back for a new review by a different reviewer; the issued "
        "letter stays on file and the determination is superseded.",
        outcome=after.after_remand,
    ),
    Step(
        key="convert_to_expedited",
        label="Convert to expedited",
        sources=_OPEN,
        target=None,  # the state stays; the clocks shorten
        cannot="be made expedited",
        form_class=case_forms.ExpediteForm,
        done="Case converted to expedited; parties are notified.",
        service_name="convert_to_expedited",
        guard=not_expedited,
        hide_when_blocked=True,
        rare=True,
        heading="Convert the case to expedited review",
        explanation="The treating physician certified an imminent and serious threat to the employee's "
        "health: the deadlines shorten and every party is sent the notice of conversion with the new dates.",
        confirm="I understand the deadlines shorten at once and the parties are notified; "
        "an expedited case cannot be made standard again.",
        outcome=after.after_expedited,
    ),
    Step(
        key="withdraw",
        label="Withdraw",
        sources=_OPEN,
        target=S.WITHDRAWN,
        cannot="be withdrawn",
        form_class=case_forms.WithdrawForm,
        done="Case withdrawn.",
        service_name="withdraw",
        rare=True,
        heading="Withdraw the application",
        explanation="The employee (or their attorney) withdrew the application: the review ends, the "
        "reviewer's assignment (if any) ends, and every party is sent the confirmation of withdrawal "
        "with the reason written here. The claims administrator owes the fee (the reduced fee when no "
        "reviewer had the case yet).",
        confirm="I understand this ends the review; it cannot be undone.",
        outcome=after.after_case_ended,
    ),
    Step(
        key="terminate",
        label="Terminate (treatment authorized)",
        sources=_OPEN,
        target=S.TERMINATED,
        cannot="be terminated",
        form_class=case_forms.TerminateForm,
        done="Case terminated.",
        service_name="terminate",
        rare=True,
        heading="Terminate the review: treatment authorized",
        explanation="The claims administrator authorized the disputed treatment: the review ends, the "
        "reviewer's assignment (if any) ends, and every party is sent the confirmation of termination "
        "with what is written here. The claims administrator owes the fee (the reduced fee when no "
        "reviewer had the case yet).",
        confirm="I understand this ends the review; it cannot be undone.",
        outcome=after.after_case_ended,
    ),
)

STEPS: dict[str, Step] = {step.key: step for step in _TABLE}


def ensure_step(*, case: Case, key: str, expected_from: str | None, on: date) -> Step:
    """Refuse step `key` on the locked `case` unless it is open now: nobody moved the case
    since the user saw it, its state offers the step, and the guard lets it through.
    Raises TransitionNotAllowedError or GuardError with the message the user reads.
    """
    step = STEPS[key]
    ensure_unchanged(case=case, expected_from=expected_from)
    if case.status not in step.sources:
        raise TransitionNotAllowedError(
            f"Case {case.case_number} is {status_label(case.status)}: it cannot {step.cannot} now."
        )
    reason = step.blocked(case=case, on=on)
    if reason:
        raise GuardError(reason)
    return step


def ensure_permitted(*, key: str, by: User) -> None:
    """Refuse step `key` to a user without the permission its row names."""
    step = STEPS[key]
    if not step.offered_to(by):
        raise GuardError(step.forbidden or "You may not take this step.")
