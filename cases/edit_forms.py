"""Forms of the case page's own edits: documents, parties and their addresses, disputed items.

Thin: they read what the browser sent into values; the services (`cases.services.documents`,
`.parties`, `.disputed_items`) check and write them. Each works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from cases.forms import DATE_WIDGET
from cases.models import CaseStatus, DisputedItem, DocumentKind, Party
from cases.services.disputed_items import ITEM_FIELDS
from cases.services.parties import editable_fields, party_version
from cases.validators import (
    MAX_ADDRESS,
    AddressParts,
    format_address,
    split_address,
    state_problem,
    zip_problem,
)
from core import clock
from core.us_states import POSTAL_CODES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one `<input type="file" multiple>` (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,.pdf", "multiple": True})
        )
        # An empty file is refused by the document service, naming the file, as any other.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            files = [single(each, initial) for each in data if each]
        else:
            files = [single(data, initial)] if data else []
        if not files and self.required:
            raise forms.ValidationError("Choose one or more PDF files to upload.", code="required")
        return files


class DocumentsUploadForm(forms.Form):
    """One or more PDFs of one kind, received the same day; each is checked by the service."""

    pdf_files = MultipleFileField(
        label="PDF files",
        required=False,  # the field's own message, in clean()
        help_text="One or more PDF documents (checked by their content), at most %(mb)s MB each.",
    )
    kind = forms.ChoiceField(label="Kind", choices=DocumentKind.choices, initial=DocumentKind.MEDICAL_RECORD)
    received_on = forms.DateField(label="Received on", widget=DATE_WIDGET)
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=200,
        help_text="Provider, type of record, dates. Blank: each file's name. With several files, "
        "each file's name is added to it.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pdf_files"].help_text = self.fields["pdf_files"].help_text % {
            "mb": settings.DOCUMENT_MAX_UPLOAD_MB
        }
        self.fields["received_on"].initial = clock.today()

    def clean_pdf_files(self) -> list[Any]:
        files = self.cleaned_data.get("pdf_files") or []
        if not files:
            raise forms.ValidationError("Choose one or more PDF files to upload.")
        return files


STATE_CHOICES = [("", "—")] + [(code, f"{code}: {name}") for code, name in POSTAL_CODES.items()]
ADDRESS_FIELDS = ("street", "city", "state", "zip_code")


class PartyForm(forms.Form):
    """A party's details for its role and its postal address as street, city, state and ZIP.

    Only the fields the party's role has are shown; once the case's record is final, only the
    email and the address can change (the others are shown disabled). The address on file is
    only rewritten when one of its four fields was changed."""

    version = forms.CharField(widget=forms.HiddenInput)
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    name = forms.CharField(label="Name", max_length=200)
    organization = forms.CharField(label="Firm", max_length=200, required=False)
    claim_number = forms.CharField(label="Claim number", max_length=60, required=False)
    specialty = forms.CharField(label="Specialty", max_length=120, required=False)
    npi = forms.CharField(label="NPI", max_length=10, required=False)
    date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DATE_WIDGET)
    sex = forms.CharField(label="Sex", max_length=20, required=False)
    email = forms.EmailField(label="Email", required=False)
    street = forms.CharField(
        label="Street address",
        required=False,
        max_length=MAX_ADDRESS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Street and number; a second line for the suite or PO box.",
    )
    city = forms.CharField(label="City", max_length=100, required=False)
    state = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    zip_code = forms.CharField(label="ZIP code", max_length=10, required=False)

    def __init__(self, *args: Any, party: Party, final: bool, **kwargs: Any) -> None:
        self.party = party
        shown = editable_fields(party=party, final=False)
        self.editable = editable_fields(party=party, final=final)
        initial = {name: getattr(party, name) for name in shown if name != "mailing_address"}
        initial["version"] = party_version(party)
        parts = split_address(party.mailing_address)
        self.address_unread = bool(party.mailing_address.strip()) and parts is None
        if parts is not None:
            initial.update(street=parts.street, city=parts.city, state=parts.state, zip_code=parts.zip_code)
        elif party.mailing_address.strip():
            initial["street"] = party.mailing_address
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name in ("version", *ADDRESS_FIELDS):
                continue
            if name not in shown:
                del self.fields[name]
            elif name not in self.editable:
                self.fields[name].disabled = True
        if "mailing_address" not in self.editable:
            for name in ADDRESS_FIELDS:
                self.fields[name].disabled = True
        if party.role == "attorney":
            self.fields["name"].label = "Attorney's name"

    def address_changed(self) -> bool:
        """Whether the four address fields say something else than the address on file (a
        browser sends a textarea's line breaks as CRLF: not a change)."""

        def plain(value: object) -> str:
            text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
            return "\n".join(line.strip() for line in text.strip().splitlines())

        return any(
            plain(self.cleaned_data.get(name)) != plain(self.initial.get(name)) for name in ADDRESS_FIELDS
        )

    def clean_npi(self) -> str:
        return (self.cleaned_data.get("npi") or "").strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "mailing_address" not in self.editable or not self.address_changed():
            return cleaned
        values = {name: (cleaned.get(name) or "").strip() for name in ADDRESS_FIELDS}
        if not any(values.values()):
            cleaned["mailing_address"] = ""  # no postal address: letters go by email only
            return cleaned
        labels = {"street": "street address", "city": "city", "state": "state", "zip_code": "ZIP code"}
        for name, value in values.items():
            if not value:
                self.add_error(
                    name, f"Give the {labels[name]}, or clear every address field for no postal address."
                )
        if values["zip_code"] and (problem := zip_problem(values["zip_code"])):
            self.add_error("zip_code", problem)
        if values["state"] and (problem := state_problem(values["state"])):
            self.add_error("state", problem)
        if all(values.values()) and not self.errors:
            address = format_address(
                AddressParts(
                    street=values["street"],
                    city=values["city"],
                    state=values["state"],
                    zip_code=values["zip_code"],
                )
            )
            if len(address) > MAX_ADDRESS:
                self.add_error("street", f"The address is too long: {MAX_ADDRESS} characters at most.")
            cleaned["mailing_address"] = address
        return cleaned

    def changes(self) -> dict[str, Any]:
        """Field -> value for every field the person may change (the service skips equal ones)."""
        data = {name: self.cleaned_data.get(name) for name in self.editable if name in self.fields}
        data = {
            name: ("" if value is None and name != "date_of_birth" else value) for name, value in data.items()
        }
        if "mailing_address" in self.cleaned_data:
            data["mailing_address"] = self.cleaned_data["mailing_address"]
        return data


class DisputedItemForm(forms.ModelForm):
    """A treatment in dispute added on the case page; `expected_from`: the state the page showed."""

    expected_from = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)

    class Meta:
        model = DisputedItem
        fields = list(ITEM_FIELDS)
        labels = {"description": "Treatment in dispute", "formulary_drug": "Drug-formulary item"}
        widgets = {"claims_administrator_guideline": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "description": "As the UR decision names it, e.g. “Physical Therapy 2x8 for the Lumbar Spine”.",
            "claims_administrator_guideline": "The claims administrator's guideline: “Decision based on …”.",
        }

    def item_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in ITEM_FIELDS}


class RemoveItemForm(forms.Form):
    expected_from = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
