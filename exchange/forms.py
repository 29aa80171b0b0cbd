"""The intake form for a new application: its facts, the disputed items as a formset, and the
`imr-case/1` payload they become (written by the importer, `exchange.services.intake`)."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.http import QueryDict

from cases.forms import DATE_WIDGET
from cases.models import ItemCategory, Priority, ServiceMethod, URDecision
from exchange.validation import MAX_ADDRESS, MAX_BODY_PARTS, MAX_DIAGNOSES

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(label: str, *, initial: str = "yes") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial=initial,
    )


class MultilineField(forms.CharField):
    """A textarea's text with the browser's CRLF line breaks stored as plain newlines."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def _address(label: str) -> forms.CharField:
    return MultilineField(
        label=label,
        required=False,
        max_length=MAX_ADDRESS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Postal address for mailed letters: street, city, state and ZIP on separate lines.",
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class IntakeForm(forms.Form):
    """The application's facts; the disputed items come in `DisputedItemFormSet`.

    Field names follow the `imr-case/1` paths in `INTAKE_FIELD_PATHS`, so the importer's
    errors land on the field they are about.
    """

    priority = forms.ChoiceField(label="Priority", choices=Priority.choices, initial=Priority.STANDARD)
    received_on = forms.DateField(label="Application received on", widget=DATE_WIDGET)
    signed = _yes_no("Signed by the employee or representative")
    ur_decision_attached = _yes_no("UR decision attached")
    liability_disputed = _yes_no("Liability for the injury disputed", initial="no")

    employee_first_name = forms.CharField(label="Employee first name", max_length=100)
    employee_last_name = forms.CharField(label="Employee last name", max_length=100)
    employee_date_of_birth = forms.DateField(
        label="Employee date of birth", required=False, widget=DATE_WIDGET
    )
    employee_email = forms.EmailField(label="Employee email", required=False)
    employee_mailing_address = _address("Employee mailing address")

    employer_name = forms.CharField(label="Employer", max_length=200)
    employer_email = forms.EmailField(label="Employer email", required=False)
    employer_mailing_address = _address("Employer mailing address")

    claims_administrator_name = forms.CharField(label="Claims administrator", max_length=200)
    claim_number = forms.CharField(label="Claim number", max_length=60)
    claims_administrator_email = forms.EmailField(label="Claims administrator email", required=False)
    claims_administrator_mailing_address = _address("Claims administrator mailing address")

    provider_name = forms.CharField(label="Requesting provider", max_length=200)
    provider_specialty = forms.CharField(label="Provider specialty", max_length=120, required=False)
    provider_npi = forms.CharField(label="Provider NPI", max_length=10, required=False)
    provider_email = forms.EmailField(label="Provider email", required=False)
    provider_mailing_address = _address("Provider mailing address")

    attorney_name = forms.CharField(label="Employee's attorney (if any)", max_length=200, required=False)
    attorney_firm = forms.CharField(label="Attorney's firm", max_length=200, required=False)
    attorney_email = forms.EmailField(label="Attorney email", required=False)
    attorney_mailing_address = _address("Attorney mailing address")

    injury_date = forms.DateField(label="Date of injury", widget=DATE_WIDGET)
    body_parts = forms.CharField(
        label="Body parts (one per line)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    diagnoses = forms.CharField(
        label="Diagnoses (one per line)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    ur_decision_date = forms.DateField(label="UR decision date", widget=DATE_WIDGET)
    ur_served_on = forms.DateField(
        label="UR decision served on",
        required=False,
        widget=DATE_WIDGET,
        help_text="Blank: the decision date.",
    )
    ur_service_method = forms.ChoiceField(label="UR service method", choices=ServiceMethod.choices)
    ur_reviewer_name = forms.CharField(label="UR reviewer", max_length=200, required=False)
    ur_organization = forms.CharField(label="UR organization", max_length=200, required=False)
    ur_conditionally_noncertified = _yes_no(
        "UR decision is a conditional non-certification (CNC)", initial="no"
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        has_attorney_details = (
            cleaned.get("attorney_firm")
            or cleaned.get("attorney_email")
            or cleaned.get("attorney_mailing_address")
        )
        if has_attorney_details and not cleaned.get("attorney_name"):
            self.add_error("attorney_name", "Give the attorney's name, or leave the attorney fields blank.")
        return cleaned


BLANK_CHOICE = [("", "—")]


class DisputedItemForm(forms.Form):
    """One treatment in dispute: one slot of `DisputedItemFormSet`.

    A slot counts as used only when one of its typed fields (or the formulary box) is
    filled: a browser posts every slot's selects, so they say nothing about whether the
    person used the slot. A used slot needs a description, a category and a UR decision.
    """

    # The fields whose content makes a slot "used"; the selects are not among them.
    USED_WHEN_FILLED = ("description", "procedure_code", "quantity", "body_part", "formulary_drug")
    REQUIRED_WHEN_USED = {
        "description": "Describe the treatment in dispute, or clear this item's fields.",
        "category": "Choose the treatment's category.",
        "ur_decision": "Choose the UR decision on this treatment.",
    }

    description = forms.CharField(label="Treatment in dispute", max_length=500, required=False)
    category = forms.ChoiceField(
        label="Category", choices=BLANK_CHOICE + ItemCategory.choices, required=False
    )
    ur_decision = forms.ChoiceField(
        label="UR decision", choices=BLANK_CHOICE + URDecision.choices, required=False
    )
    quantity = forms.IntegerField(label="Quantity", min_value=1, required=False)
    procedure_code = forms.CharField(label="Procedure code", max_length=20, required=False)
    body_part = forms.CharField(label="Body part", max_length=120, required=False)
    formulary_drug = forms.BooleanField(label="Drug-formulary item", required=False)

    def is_used(self) -> bool:
        """True when the person typed into the slot (raw data: also for values that do not parse)."""
        if not self.is_bound:
            return False
        for name in self.USED_WHEN_FILLED:
            field = self.fields[name]
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if isinstance(field, forms.BooleanField):
                if field.to_python(value):
                    return True
            elif value is not None and str(value).strip():
                return True
        return False

    def has_changed(self) -> bool:
        # Drives Django's empty-form handling: an unused slot is skipped, never validated.
        return self.is_used() or self.is_marked_deleted()

    def is_marked_deleted(self) -> bool:
        if not self.is_bound or "DELETE" not in self.fields:
            return False
        field = self.fields["DELETE"]
        return bool(
            field.to_python(
                field.widget.value_from_datadict(self.data, self.files, self.add_prefix("DELETE"))
            )
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name, message in self.REQUIRED_WHEN_USED.items():
            if name not in self.errors and not cleaned.get(name):
                self.add_error(name, forms.ValidationError(message, code="required"))
        return cleaned


MAX_DISPUTED_ITEMS = 30


class BaseDisputedItemFormSet(forms.BaseFormSet):
    """Any number of treatments from 1 to MAX_DISPUTED_ITEMS; blank and removed slots are skipped."""

    # Set by BaseFormSet.__init__ and full_clean; django-stubs does not declare them.
    error_messages: dict[str, str]
    renderer: Any
    _errors: list[Any] | None
    _non_form_errors: Any

    deletion_widget = forms.HiddenInput
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": f"An application can list at most {MAX_DISPUTED_ITEMS} treatments in dispute.",
        "missing_management_form": (
            "The list of treatments in dispute arrived incomplete; reload the page and enter them again."
        ),
    }

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        # Every slot may stay blank, the first one too; `clean` asks for at least one used slot.
        kwargs.setdefault("empty_permitted", True)
        return super()._construct_form(i, **kwargs)  # type: ignore[misc]  # private hook, not in django-stubs

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove this item"

    def used_forms(self) -> list[DisputedItemForm]:
        """The slots that become disputed items, in letter order (not blank, not removed)."""
        return [f for f in self.forms if f.is_used() and not f.is_marked_deleted()]

    def clean(self) -> None:
        super().clean()
        if self.is_bound and not self.management_form.is_valid():
            return  # already said: the list arrived incomplete
        used = len(self.used_forms())
        if used == 0:
            raise forms.ValidationError("Enter at least one treatment in dispute.", code="too_few_forms")
        if used > MAX_DISPUTED_ITEMS:
            raise forms.ValidationError(self.error_messages["too_many_forms"], code="too_many_forms")


# formset_factory builds a subclass of `formset`: typed as that class.
DisputedItemFormSet = cast(
    type[BaseDisputedItemFormSet],
    forms.formset_factory(
        DisputedItemForm,
        formset=BaseDisputedItemFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_DISPUTED_ITEMS,
        # Room for slots added and removed again in the browser; the used ones are capped in `clean`.
        absolute_max=MAX_DISPUTED_ITEMS * 4,
    ),
)
ITEMS_PREFIX = "items"


def rearranged_item_slots(data: QueryDict, *, add: bool = False, remove: int | None = None) -> QueryDict:
    """The intake POST with its item slots renumbered: removed slots dropped, one blank slot added.

    This is how "Add another item" and "Remove" work without JavaScript: the page is drawn
    again from the returned data. Slots are kept in order, with whatever the person typed.
    """
    prefix = f"{ITEMS_PREFIX}-"
    slot_key = re.compile(rf"^{re.escape(prefix)}(\d+)-(.+)$")
    try:
        total = int(data.get(f"{prefix}TOTAL_FORMS", ""))
    except ValueError:
        total = 0
    total = max(0, min(total, DisputedItemFormSet.absolute_max))
    slots: dict[int, dict[str, list[str]]] = {index: {} for index in range(total)}
    result = QueryDict(mutable=True)
    for key in data:
        match = slot_key.match(key)
        if match:
            index = int(match.group(1))
            if index in slots:
                slots[index][match.group(2)] = data.getlist(key)
        elif key not in ("add_item", "remove_item"):
            result.setlist(key, data.getlist(key))
    delete = forms.BooleanField(required=False)
    kept = [
        slot
        for index, slot in sorted(slots.items())
        if index != remove and not delete.to_python((slot.get("DELETE") or [""])[-1])
    ]
    if (add and len(kept) < MAX_DISPUTED_ITEMS) or not kept:
        kept.append({})
    for index, slot in enumerate(kept):
        for name, values in slot.items():
            result.setlist(f"{prefix}{index}-{name}", values)
    result[f"{prefix}TOTAL_FORMS"] = str(len(kept))
    result[f"{prefix}INITIAL_FORMS"] = "0"
    return result


# imr-case/1 path -> intake form field, for mapping the importer's errors back.
INTAKE_FIELD_PATHS = {
    "priority": "priority",
    "application.received_on": "received_on",
    "application.signed": "signed",
    "application.ur_decision_attached": "ur_decision_attached",
    "application.liability_disputed": "liability_disputed",
    "employee.first_name": "employee_first_name",
    "employee.last_name": "employee_last_name",
    "employee.date_of_birth": "employee_date_of_birth",
    "employee.email": "employee_email",
    "employee.mailing_address": "employee_mailing_address",
    "employer.name": "employer_name",
    "employer.email": "employer_email",
    "employer.mailing_address": "employer_mailing_address",
    "claims_administrator.name": "claims_administrator_name",
    "claims_administrator.claim_number": "claim_number",
    "claims_administrator.email": "claims_administrator_email",
    "claims_administrator.mailing_address": "claims_administrator_mailing_address",
    "requesting_provider.name": "provider_name",
    "requesting_provider.specialty": "provider_specialty",
    "requesting_provider.npi": "provider_npi",
    "requesting_provider.email": "provider_email",
    "requesting_provider.mailing_address": "provider_mailing_address",
    "attorney.name": "attorney_name",
    "attorney.firm": "attorney_firm",
    "attorney.email": "attorney_email",
    "attorney.mailing_address": "attorney_mailing_address",
    "attorney": "attorney_name",
    "injury.date": "injury_date",
    "injury.body_parts": "body_parts",
    "injury.diagnoses": "diagnoses",
    "utilization_review.decision_date": "ur_decision_date",
    "utilization_review.served_on": "ur_served_on",
    "utilization_review.service_method": "ur_service_method",
    "utilization_review.reviewer_name": "ur_reviewer_name",
    "utilization_review.organization": "ur_organization",
    "utilization_review.conditionally_noncertified": "ur_conditionally_noncertified",
    # One line of the body parts or diagnoses box (the message says which entry).
    **{f"injury.body_parts[{index}]": "body_parts" for index in range(MAX_BODY_PARTS)},
    **{f"injury.diagnoses[{index}]": "diagnoses" for index in range(MAX_DIAGNOSES)},
}


def _optional(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in (None, "")}


def build_intake_payload(*, form: IntakeForm, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The `imr-case/1` object for a valid intake form and its disputed items."""
    data = form.cleaned_data
    iso = lambda day: day.isoformat() if day else None  # noqa: E731
    attorney = None
    if data["attorney_name"]:
        attorney = {
            "name": data["attorney_name"],
            **_optional(
                firm=data["attorney_firm"],
                email=data["attorney_email"],
                mailing_address=data["attorney_mailing_address"],
            ),
        }
    return {
        "format": "imr-case/1",
        "priority": data["priority"],
        "application": {
            "received_on": iso(data["received_on"]),
            "signed": data["signed"],
            "ur_decision_attached": data["ur_decision_attached"],
            "liability_disputed": data["liability_disputed"],
        },
        "employee": {
            "first_name": data["employee_first_name"],
            "last_name": data["employee_last_name"],
            **_optional(
                date_of_birth=iso(data["employee_date_of_birth"]),
                email=data["employee_email"],
                mailing_address=data["employee_mailing_address"],
            ),
        },
        "employer": {
            "name": data["employer_name"],
            **_optional(email=data["employer_email"], mailing_address=data["employer_mailing_address"]),
        },
        "claims_administrator": {
            "name": data["claims_administrator_name"],
            "claim_number": data["claim_number"],
            **_optional(
                email=data["claims_administrator_email"],
                mailing_address=data["claims_administrator_mailing_address"],
            ),
        },
        "requesting_provider": {
            "name": data["provider_name"],
            **_optional(
                specialty=data["provider_specialty"],
                npi=data["provider_npi"],
                email=data["provider_email"],
                mailing_address=data["provider_mailing_address"],
            ),
        },
        "attorney": attorney,
        "injury": {
            "date": iso(data["injury_date"]),
            "body_parts": _lines(data["body_parts"]),
            "diagnoses": _lines(data["diagnoses"]),
        },
        "utilization_review": {
            "decision_date": iso(data["ur_decision_date"]),
            **_optional(served_on=iso(data["ur_served_on"])),
            "service_method": data["ur_service_method"],
            "reviewer_name": data["ur_reviewer_name"],
            "organization": data["ur_organization"],
            "conditionally_noncertified": data["ur_conditionally_noncertified"],
        },
        "disputed_items": [
            {
                "description": item["description"],
                "category": item["category"],
                "formulary_drug": bool(item.get("formulary_drug")),
                "ur_decision": item["ur_decision"],
                **_optional(
                    procedure_code=item.get("procedure_code"),
                    quantity=item.get("quantity"),
                    body_part=item.get("body_part"),
                ),
            }
            for item in items
        ],
    }
