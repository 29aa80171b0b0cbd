"""Staff forms for letters and their deliveries (rendered with crispy)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.db.models import QuerySet

from core import clock
from determinations.models import Delivery


class MailedOnForm(forms.Form):
    deliveries = forms.ModelMultipleChoiceField(
        label="Letters put in the post",
        queryset=Delivery.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one letter that was mailed."},
    )
    mailed_on = forms.DateField(
        label="Mailed on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date on the postmark: the parties' appeal time runs from it.",
    )

    def __init__(self, *args, queryset: QuerySet[Delivery], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        deliveries = self.fields["deliveries"]
        assert isinstance(deliveries, forms.ModelMultipleChoiceField)
        deliveries.queryset = queryset
        deliveries.label_from_instance = lambda obj: (  # type: ignore[method-assign]  # Django's documented hook
            f"{obj.case.case_number}: {obj.document_title}, {obj.recipient_name} "
            f"({obj.get_recipient_role_display().lower()}, "
            f"{obj.get_status_display().lower() if obj.postal_address else 'no postal address on file'})"
        )
        self.fields["mailed_on"].initial = clock.today()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Record as mailed"))

    def show_only(self, shown: list[Delivery]) -> None:
        """Offer only these letters as checkboxes (one page of the tray, already read with their
        case and party: no second query); validation has run against every letter waiting."""
        deliveries = self.fields["deliveries"]
        assert isinstance(deliveries, forms.ModelMultipleChoiceField)
        deliveries.widget.choices = [
            (delivery.pk, deliveries.label_from_instance(delivery)) for delivery in shown
        ]


class ResendForm(forms.Form):
    reason = forms.CharField(
        label="Why send it again",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="For example: the email bounced, or the party says the letter never arrived.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template's <form> carries the one-time token
        self.helper.add_input(Submit("submit", "Send again"))

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the letter is sent again.")
        return reason
