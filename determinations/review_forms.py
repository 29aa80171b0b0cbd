"""Forms of the reviewer's workspace and clinical QA (rendered with crispy-bootstrap5).

Forms only shape input: what is required to submit, and every other rule, is checked by
`determinations.services.review`, whose errors the views put back on these fields.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString

from cases.models import DisputedItem
from determinations.models import Decision, ItemDecision
from determinations.services.review import (
    GUIDELINE_MAX,
    QA_COMMENT_MAX,
    RATIONALE_MAX,
    SUMMARY_MAX,
    ItemInput,
    too_long,
)
from reviewers.services.responses import DECLINE_REASON_MAX

GUIDELINE_DATALIST_ID = "guideline-catalog"
VERSION_MISSING = (
    "This form has no draft version (it may come from an older page): copy your text, "
    "then reload the page. Nothing was saved."
)


def _capped_text(*, label: str, what: str, limit: int, **kwargs) -> forms.CharField:
    """A free-text field capped at `limit`, refused with the service's words (`too_long`).

    No max_length: the browser would get a maxlength and cut a pasted text short without a word.
    """

    def cap(value: str) -> None:
        if len(value) > limit:
            raise ValidationError(too_long(what=what, limit=limit, length=len(value)), code="max_length")

    return forms.CharField(label=label, required=False, validators=[cap], **kwargs)


class AcceptAssignmentForm(forms.Form):
    attest_no_conflict = forms.BooleanField(
        label=(
            "I attest that I have no conflict of interest with the employee, the employer, the "
            "claims administrator, the requesting provider, the attorney, or the UR reviewer or "
            "organization of this case."
        ),
        error_messages={
            "required": "To accept, attest that you have no conflict of interest with any party to this case."
        },
    )


class DeclineAssignmentForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining",
        max_length=DECLINE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why you decline (a conflict of interest, unavailable, ...)."},
    )


class SummaryForm(forms.Form):
    clinical_case_summary = _capped_text(
        label="Clinical case summary",
        what="the clinical case summary",
        limit=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"Appears in the letter under CLINICAL CASE SUMMARY. Up to {SUMMARY_MAX:,} characters.",
    )
    # The draft's version this form was loaded with: a save from an older page is refused.
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={
            "required": VERSION_MISSING,
            "invalid": VERSION_MISSING,
            "min_value": VERSION_MISSING,
        },
    )


class ItemDecisionForm(forms.Form):
    """One disputed item's decision; its prefix carries the item id, never a posted field."""

    decision = forms.ChoiceField(
        label="Decision", choices=Decision.choices, required=False, widget=forms.RadioSelect
    )
    reviewer_guideline = _capped_text(
        label="Guideline the decision is based on",
        what="the guideline",
        limit=GUIDELINE_MAX,
        help_text='Pick from the catalog or type a full citation, e.g. "… Page(s): 98-99 of 127".',
        widget=forms.TextInput(attrs={"list": GUIDELINE_DATALIST_ID, "autocomplete": "off"}),
    )
    rationale = _capped_text(
        label="Decision rationale",
        what="the rationale",
        limit=RATIONALE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"Up to {RATIONALE_MAX:,} characters.",
    )

    def __init__(self, *args, disputed_item: DisputedItem, **kwargs) -> None:
        kwargs.setdefault("prefix", f"item-{disputed_item.pk}")
        super().__init__(*args, **kwargs)
        self.disputed_item = disputed_item
        # Read-only HTML shown under the item (determinations.panels), set by the view.
        self.panels: list[SafeString] = []
        n = disputed_item.position
        # Each label names its item, so a screen reader user knows which decision they are in.
        self.fields["decision"].label = f"Decision on item {n}"
        self.fields["reviewer_guideline"].label = f"Guideline for item {n}"
        self.fields["rationale"].label = f"Decision rationale for item {n}"

    def to_input(self) -> ItemInput:
        data = self.cleaned_data
        return ItemInput(
            disputed_item_id=self.disputed_item.pk,
            decision=data.get("decision") or "",
            reviewer_guideline=data.get("reviewer_guideline") or "",
            rationale=data.get("rationale") or "",
        )


class DeterminationForms:
    """The summary and one form per disputed item (in letter order), bound or initial."""

    def __init__(
        self,
        *,
        disputed_items: list[DisputedItem],
        saved: dict[int, ItemDecision],
        summary: str = "",
        version: int = 0,
        data=None,
        read_only: bool = False,
    ) -> None:
        self.summary = SummaryForm(data=data, initial={"clinical_case_summary": summary, "version": version})
        self.items = []
        for item in disputed_items:
            row = saved.get(item.pk)
            initial = (
                {
                    "decision": row.decision,
                    "reviewer_guideline": row.reviewer_guideline,
                    "rationale": row.rationale,
                }
                if row is not None
                else {}
            )
            self.items.append(ItemDecisionForm(data=data, initial=initial, disputed_item=item))
        if read_only:
            for form in self.all_forms():
                for field in form.fields.values():
                    field.disabled = True

    def all_forms(self) -> list[forms.Form]:
        return [self.summary, *self.items]

    def is_valid(self) -> bool:
        # Validate every form (no short-circuit), so each shows its own errors.
        results = [form.is_valid() for form in self.all_forms()]
        return all(results)

    def summary_text(self) -> str:
        return self.summary.cleaned_data.get("clinical_case_summary") or ""

    def loaded_version(self) -> int:
        """The draft's version the posted form was loaded with."""
        return self.summary.cleaned_data["version"]

    def hidden_errors(self) -> list[str]:
        """Errors of hidden fields, which no field on the page can show."""
        return [str(error) for error in self.summary.errors.get("version", [])]

    def item_inputs(self) -> list[ItemInput]:
        return [form.to_input() for form in self.items]

    def add_service_errors(self, errors: list[tuple[str, str]]) -> list[str]:
        """Put each (path, message) on its field; returns the messages that fit no field."""
        by_item = {form.disputed_item.pk: form for form in self.items}
        unplaced: list[str] = []
        for path, message in errors:
            if path == "summary":
                self.summary.add_error("clinical_case_summary", message)
                continue
            if path.startswith("items[") and "]." in path:
                item_id, field = path[len("items[") :].split("].", 1)
                form = by_item.get(int(item_id)) if item_id.isdigit() else None
                if form is not None and field in form.fields:
                    form.add_error(field, message)
                    continue
            unplaced.append(message)
        return unplaced


class QAReturnForm(forms.Form):
    comment = forms.CharField(
        label="Comment for the reviewer",
        max_length=QA_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown to the reviewer at the top of the case file.",
        error_messages={"required": "Say what the reviewer should change."},
    )
