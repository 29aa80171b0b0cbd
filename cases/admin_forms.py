"""Admin forms for uploading documents: thin doors into `cases.services.documents`.

The form checks the file while validating (so a bad file is a form error and nothing is
saved), and the admin calls `create_document`, which goes through the service.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from cases.models import EARLIEST_CASE_DATE, Case, Document
from cases.services import documents as document_service
from core import clock
from core.errors import DomainError


class DocumentUploadForm(forms.ModelForm):
    upload = forms.FileField(
        label="PDF file",
        help_text="A PDF document (checked by its content), at most %(mb)s MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    class Meta:
        model = Document
        fields = ["case", "kind", "title", "received_on", "upload"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["upload"].help_text = self.fields["upload"].help_text % {
            "mb": settings.DOCUMENT_MAX_UPLOAD_MB
        }
        if "received_on" in self.fields and not self.initial.get("received_on"):
            self.initial["received_on"] = clock.today()
        self.inspection: document_service.PdfInspection | None = None

    def _case(self) -> Case | None:
        if "case" in self.fields:
            return self.cleaned_data.get("case")
        return getattr(self.instance, "case", None)

    def _required_case(self) -> Case:
        case = self._case()
        if case is None:  # the form's validation requires a case before an upload is saved
            raise ValueError("A document needs its case.")
        return case

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        try:
            self.inspection = document_service.inspect_pdf(uploaded_file=upload)
        except DomainError as error:
            raise ValidationError(error.message) from error
        return upload

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on and received_on > clock.today():
            raise ValidationError("The date received cannot be in the future.")
        if received_on and received_on < EARLIEST_CASE_DATE:
            raise ValidationError(f"The date received cannot be before {EARLIEST_CASE_DATE.isoformat()}.")
        return received_on

    def clean(self):
        cleaned = super().clean()
        case = self._case()
        if self.inspection is not None and case is not None:
            try:
                document_service.check_not_duplicate(case=case, sha256=self.inspection.sha256)
            except DomainError as error:
                self.add_error("upload", error.message)
        return cleaned

    def _post_clean(self) -> None:
        # The model's own validation would require the file, hash, size and page count,
        # which only the service fills in.
        pass

    def create_document(self, *, by: User, case: Case | None = None) -> Document:
        """Add the validated upload through the service; raises CaseError when refused."""
        data = self.cleaned_data
        return document_service.add_document(
            case=case or self._required_case(),
            uploaded_file=data["upload"],
            kind=data["kind"],
            title=data["title"],
            received_on=data["received_on"],
            by=by,
        )


class DocumentInlineUploadForm(DocumentUploadForm):
    class Meta(DocumentUploadForm.Meta):
        fields = ["kind", "title", "received_on", "upload"]


class DocumentUploadFormSet(BaseInlineFormSet):
    """New documents only; refuses the same file twice in one submission."""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            inspection = getattr(form, "inspection", None)
            if not form.has_changed() or inspection is None:
                continue
            if inspection.sha256 in seen:
                form.add_error("upload", "The same file is uploaded twice in this form.")
            seen.add(inspection.sha256)


class DocumentChangeForm(forms.ModelForm):
    """An existing document: only its description can change, never its file."""

    class Meta:
        model = Document
        fields = ["kind", "title", "received_on"]
