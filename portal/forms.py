"""The portal's forms: records upload (one row per PDF), staff invitation, declaring complete."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.forms import formset_factory

from portal.models import Organization, RecordKind
from portal.services.records import RecordUpload

UPLOAD_ROWS = 5


class RecordRowForm(forms.Form):
    file = forms.FileField(
        label="PDF file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    kind = forms.ChoiceField(label="Kind of record", choices=[("", "—"), *RecordKind.choices], required=False)
    date_from = forms.DateField(
        label="Records from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="Records to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("file") is None:
            return cleaned  # an unused row
        if not cleaned.get("kind"):
            self.add_error("kind", "Choose the kind of record.")
        if cleaned.get("date_from") is None and "date_from" not in self.errors:
            self.add_error("date_from", "Give the first date the records cover.")
        if cleaned.get("date_to") is None and "date_to" not in self.errors:
            self.add_error("date_to", "Give the last date the records cover.")
        return cleaned


class _BaseRecordFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.uploads():
            raise forms.ValidationError("Choose at least one PDF file to upload.")

    def uploads(self) -> list[RecordUpload]:
        return [
            RecordUpload(
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            )
            for form in self.forms
            if form.cleaned_data.get("file") is not None
        ]


RecordFormSet = formset_factory(
    RecordRowForm, formset=_BaseRecordFormSet, extra=UPLOAD_ROWS, max_num=UPLOAD_ROWS
)


class ReceiptEmailForm(forms.Form):
    email = forms.EmailField(label="Email the receipt to", required=False)


class InviteForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.order_by("name"))
    username = forms.CharField(max_length=150)
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        field = get_user_model()._meta.get_field("username")
        for validator in field.validators:
            validator(username)
        return username
