"""Forms of the staff case pages: one per workflow step (the intake form is in exchange.forms)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from cases.models import CASE_NUMBER_PATTERN, CaseStatus, ItemCategory, Priority
from core import clock

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class ActionForm(forms.Form):
    """A workflow step; `expected_from` is the state the user saw when the page was drawn."""

    expected_from = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)

    def service_kwargs(self) -> dict[str, Any]:
        return {}


class ConfirmActionForm(ActionForm):
    pass


class OverrideEligibilityForm(ActionForm):
    eligible = forms.TypedChoiceField(
        label="Decision",
        choices=[("yes", "Eligible for IMR"), ("no", "Not eligible")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Written reason for the override",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Required; it is logged on the case's timeline.",
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {"eligible": self.cleaned_data["eligible"], "reason": self.cleaned_data["reason"]}


class NoticeForm(ActionForm):
    """Sends the NOARFI: by email to every party with an address, else to the post tray. How it
    went (and so the records clock) is read from the deliveries, never typed."""


class RecordsCompleteForm(ActionForm):
    on = forms.DateField(
        label="Records complete on",
        required=False,
        widget=DATE_WIDGET,
        help_text="The day the last records arrived; leave blank for today.",
    )

    def clean_on(self) -> date | None:
        on = self.cleaned_data.get("on")
        if on and on > clock.today():
            raise forms.ValidationError("The date cannot be in the future.")
        return on

    def service_kwargs(self) -> dict[str, Any]:
        return {"on": self.cleaned_data.get("on")}


class ReasonForm(ActionForm):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def service_kwargs(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}


class WithdrawForm(ReasonForm):
    reason = forms.CharField(
        label="Why is the application withdrawn?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Who withdrew it and how (e.g. the employee's letter of 03/02/2015). "
        "It is written in the confirmation sent to every party.",
    )


class TerminateForm(ReasonForm):
    reason = forms.CharField(
        label="What authorized the treatment?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="The claims administrator's authorization (who, when, which treatment). "
        "It is written in the confirmation sent to every party.",
    )


def confirmation_field(text: str) -> forms.BooleanField:
    """The box an irreversible step needs ticked (`cases.steps.Step.confirm`): checked here, on the
    server, so a page without JavaScript, or a crafted POST, cannot skip it."""
    return forms.BooleanField(
        label=text,
        required=True,
        error_messages={"required": "Tick the box to confirm: this step cannot be undone."},
    )


class CloseForm(ActionForm):
    reason = forms.CharField(
        label="Note (optional)", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}


class ExpediteForm(ActionForm):
    certification_note = forms.CharField(
        label="Treating physician's certification",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Who certified the imminent and serious threat to the employee's health, and when.",
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {"certification_note": self.cleaned_data["certification_note"]}


class RemandForm(ActionForm):
    order_reference = forms.CharField(label="WCAB order reference", max_length=200)

    def service_kwargs(self) -> dict[str, Any]:
        return {"order_reference": self.cleaned_data["order_reference"]}


SEARCH_MAX_LENGTH = 100


class CaseSearchForm(forms.Form):
    """The navigation's search box. Django's CharField strips spaces and refuses NUL characters."""

    q = forms.CharField(
        label="Search cases",
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        error_messages={"max_length": f"Search for at most {SEARCH_MAX_LENGTH} characters."},
    )


class ConsolidationForm(ActionForm):
    """Consolidate other cases into this one, or split them off again: case numbers and a reason."""

    case_numbers = forms.CharField(
        label="Case numbers",
        max_length=2000,
        help_text="One or more, separated by commas or spaces (e.g. CM15-0041878).",
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)

    def clean_case_numbers(self) -> list[str]:
        import re

        numbers = [part for part in re.split(r"[\s,;]+", self.cleaned_data["case_numbers"].upper()) if part]
        pattern = re.compile(CASE_NUMBER_PATTERN)
        bad = [number for number in numbers if not pattern.match(number)]
        if bad:
            raise forms.ValidationError(f"Not a case number: {', '.join(bad[:5])} (they read CMyy-nnnnnnn).")
        if not numbers:
            raise forms.ValidationError("Name at least one case number.")
        return numbers

    def service_kwargs(self) -> dict[str, Any]:
        return {"case_numbers": self.cleaned_data["case_numbers"], "reason": self.cleaned_data["reason"]}


def _queue_sort_choices() -> list[tuple[str, str]]:
    from cases.selectors import QUEUE_SORTS  # the selectors import the steps, which import these forms

    return [(key, sort.label) for key, sort in QUEUE_SORTS.items()]


class QueueOptionsForm(forms.Form):
    """The work queues' sort and filters (GET). A value the queue does not offer is an error
    of its field: the view says so and shows the queue without it."""

    sort = forms.ChoiceField(label="Sort", required=False, choices=_queue_sort_choices)
    priority = forms.ChoiceField(
        label="Priority", required=False, choices=[("", "Any priority"), *Priority.choices]
    )
    category = forms.ChoiceField(
        label="Treatment category", required=False, choices=[("", "Any category"), *ItemCategory.choices]
    )
    overdue = forms.ChoiceField(
        label="Overdue", required=False, choices=[("", "Overdue or not"), ("1", "Overdue only")]
    )
    reviewer = forms.CharField(label="Assigned reviewer", required=False, max_length=20)
