from __future__ import annotations

from django import forms

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class IssueMonthForm(forms.Form):
    month = forms.CharField(
        max_length=7,
        strip=True,
        help_text="The month to invoice, YYYY-MM (e.g. 2026-05); it must be over.",
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}),
        error_messages={"required": "Give the month to invoice, as YYYY-MM."},
    )


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(
        label="Date paid",
        widget=DATE_WIDGET,
        error_messages={
            "required": "Give the date the payment was received.",
            "invalid": "Enter a real date.",
        },
    )


class MarkPostedForm(forms.Form):
    mailed_on = forms.DateField(
        label="Date mailed",
        widget=DATE_WIDGET,
        error_messages={"required": "Give the date the invoice was mailed.", "invalid": "Enter a real date."},
    )
