"""Staff forms for assigning a reviewer by hand."""

from __future__ import annotations

from django import forms

from reviewers.models import Reviewer


class _ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Reviewer) -> str:
        name = obj.user.get_full_name() or obj.user.get_username()
        return f"{obj.reviewer_number} · {name}"


class ManualAssignForm(forms.Form):
    reviewer = _ReviewerChoiceField(
        label="Reviewer",
        queryset=Reviewer.objects.select_related("user").order_by("reviewer_number"),
        help_text="The reviewer's eligibility and conflicts are checked again when you submit.",
    )


class ReassignForm(ManualAssignForm):
    reason = forms.CharField(
        label="Reason for reassigning",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the case history.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for reassigning the case.")
        return reason


class ReplaceReviewerForm(forms.Form):
    """Staff replace the reviewer who accepted a case in review."""

    reason = forms.CharField(
        label="Reason for replacing the reviewer",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the case history.",
        error_messages={"required": "Give the reason for replacing the reviewer."},
    )
    reviewer = _ReviewerChoiceField(
        label="New reviewer",
        queryset=Reviewer.objects.select_related("user").order_by("reviewer_number"),
        required=False,
        empty_label="Pick the next qualified reviewer automatically",
        help_text="The new reviewer's eligibility and conflicts are checked when you submit.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for replacing the reviewer.")
        return reason
