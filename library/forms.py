"""The public search's form: every filter checked, so bad input is a form error, never a 500."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cases.models import EARLIEST_CASE_DATE, ItemCategory
from determinations.models import Decision
from library.selectors import PUBLIC_MAX_PAGE, PublicFilters

QUERY_MAX = 200
DATE_INPUT = forms.DateInput(attrs={"type": "date"})
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]
RANGES = (
    ("injury_from", "injury_to", "date of injury"),
    ("received_from", "received_to", "received date"),
    ("decided_from", "decided_to", "decision date"),
)


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        widget=DATE_INPUT,
        error_messages={"invalid": "Enter a date as YYYY-MM-DD or MM/DD/YYYY."},
    )


class DecisionSearchForm(forms.Form):
    q = forms.CharField(
        label="Words in the decision",
        required=False,
        max_length=QUERY_MAX,
        help_text='e.g. trigger point injections, or "functional restoration" -opioids',
    )
    case_number = forms.CharField(label="Case number", required=False, max_length=12)
    injury_from = _date_field("Date of injury from")
    injury_to = _date_field("to")
    received_from = _date_field("Received from")
    received_to = _date_field("to")
    decided_from = _date_field("Decision date from")
    decided_to = _date_field("to")
    specialty = forms.CharField(label="Reviewer specialty", required=False, max_length=100)
    category = forms.ChoiceField(
        label="Treatment category", required=False, choices=[("", "Any"), *ItemCategory.choices]
    )
    treatment = forms.CharField(label="Sub-category or drug", required=False, max_length=100)
    decision = forms.ChoiceField(label="Outcome", required=False, choices=[("", "Any"), *Decision.choices])
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=PUBLIC_MAX_PAGE,
        widget=forms.HiddenInput,
        error_messages={
            "max_value": f"Only the first {PUBLIC_MAX_PAGE} pages are shown; narrow the search.",
            "min_value": "Pages are numbered from 1.",
            "invalid": "A page is a whole number.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bootstrap's look, as every other form of the site (and as wide as its column, no wider).
        for field in self.visible_fields():
            select = isinstance(field.field.widget, forms.Select)
            field.field.widget.attrs.setdefault("class", "form-select" if select else "form-control")

    def clean_case_number(self) -> str:
        value: str = self.cleaned_data["case_number"].strip().upper()
        if value and not re.fullmatch(r"CM[0-9]{0,2}(-[0-9]{0,7})?", value):
            raise ValidationError("A case number reads CMyy-nnnnnnn (or its start, e.g. CM15-00).")
        return value

    def clean_q(self) -> str:
        value: str = " ".join(self.cleaned_data["q"].split())
        if "\x00" in value:
            raise ValidationError("The search text contains a character that cannot be searched.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("specialty", "treatment"):
            if name in cleaned and "\x00" in cleaned[name]:
                self.add_error(name, "This contains a character that cannot be searched.")
        for start, end, words in RANGES:
            for name in (start, end):
                day = cleaned.get(name)
                if day is not None and day < EARLIEST_CASE_DATE:
                    self.add_error(name, "Enter a date from 1900 on.")
            low, high = cleaned.get(start), cleaned.get(end)
            if low is not None and high is not None and low > high:
                self.add_error(end, f"The end of the {words} range is before its start.")
        return cleaned

    def filters(self) -> PublicFilters:
        data = self.cleaned_data
        return PublicFilters(
            q=data.get("q") or "",
            case_number=data.get("case_number") or "",
            injury_from=data.get("injury_from"),
            injury_to=data.get("injury_to"),
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            decided_from=data.get("decided_from"),
            decided_to=data.get("decided_to"),
            specialty=(data.get("specialty") or "").strip(),
            category=data.get("category") or "",
            treatment=(data.get("treatment") or "").strip(),
            decision=data.get("decision") or "",
        )
