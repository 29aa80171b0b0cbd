"""The staff intake page (`/cases/new/`, URL name `cases:intake`): a new application typed in
by intake staff becomes an `imr-case/1` payload and is written by the importer, so the form
and a file import obey the same rules and the importer's errors land on the fields."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.forms.utils import ErrorDict
from django.forms.widgets import RadioSelect
from django.http import HttpResponse
from django.shortcuts import redirect, render

from cases.errors import IntakeError
from core.form_tokens import submit_once
from core.types import AuthenticatedHttpRequest
from exchange import forms as intake_forms
from exchange.services.intake import IntakeSource, import_case

_ITEM_PATH = re.compile(r"^disputed_items\[(\d+)\](?:\.(\w+))?")
_LIST_INDEX = re.compile(r"^(?P<path>[\w.]+)\[(?P<index>\d+)\]$")


def _apply_intake_errors(
    *, error: IntakeError, form: intake_forms.IntakeForm, item_forms: list[intake_forms.DisputedItemForm]
) -> None:
    """Put the importer's errors on the fields they name.

    `item_forms` are the slots that became `disputed_items`, in order: the importer's item
    index is a position in that list, not a slot number (blank and removed slots are skipped).
    """
    for path, message in error.errors:
        field = intake_forms.INTAKE_FIELD_PATHS.get(path)
        list_index = _LIST_INDEX.match(path or "")
        if field is None and list_index:  # e.g. injury.diagnoses[2]: the third line
            field = intake_forms.INTAKE_FIELD_PATHS.get(list_index.group("path"))
            if field:
                message = f"Line {int(list_index.group('index')) + 1}: {message}"
        if field:
            form.add_error(field, message)
            continue
        match = _ITEM_PATH.match(path or "")
        if match and int(match.group(1)) < len(item_forms):
            item_form, name = item_forms[int(match.group(1))], match.group(2)
            item_form.add_error(name if name in item_form.fields else None, message)
            continue
        form.add_error(None, f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class ItemSlot:
    form: intake_forms.DisputedItemForm
    number: int | None  # as the page numbers it; None for a slot marked removed (drawn hidden)


def _item_slots(formset: intake_forms.BaseDisputedItemFormSet) -> list[ItemSlot]:
    slots, number = [], 0
    for item_form in formset.forms:
        if item_form.is_marked_deleted():
            slots.append(ItemSlot(item_form, None))
        else:
            number += 1
            slots.append(ItemSlot(item_form, number))
    return slots


def _field_anchor(bound_field) -> str:
    widget = bound_field.field.widget
    if isinstance(widget, RadioSelect):
        return widget.id_for_label(bound_field.auto_id, "0")
    return widget.id_for_label(bound_field.auto_id) or bound_field.auto_id


def _error_summary(
    *, form: intake_forms.IntakeForm, slots: list[ItemSlot], formset: intake_forms.BaseDisputedItemFormSet
) -> list[tuple[str | None, str]]:
    """(anchor, text) for every error on the page, in page order; anchor None: no one field."""
    if not form.is_bound:
        return []
    entries: list[tuple[str | None, str]] = [(None, str(message)) for message in form.non_field_errors()]
    for bound_field in form:
        entries += [(_field_anchor(bound_field), f"{bound_field.label}: {m}") for m in bound_field.errors]
    visible = [slot for slot in slots if slot.number is not None]
    first_item = f"id_{visible[0].form.prefix}-description" if visible else None
    entries += [(first_item, f"Treatments in dispute: {m}") for m in formset.non_form_errors()]
    for slot in visible:
        item_form = slot.form
        where = f"Item {slot.number}"
        description = f"id_{item_form.prefix}-description"
        entries += [(description, f"{where}: {m}") for m in item_form.non_field_errors()]
        for bound_field in item_form:
            if bound_field.name == "DELETE":
                continue
            entries += [
                (_field_anchor(bound_field), f"{where}, {bound_field.label}: {m}") for m in bound_field.errors
            ]
    return entries


def _without_errors(form: intake_forms.IntakeForm, formset: intake_forms.BaseDisputedItemFormSet) -> None:
    """Draw a bound form again with what was typed but no errors (the person is not done yet)."""
    for each in [form, *formset.forms]:
        each._errors = ErrorDict(renderer=each.renderer)
        each.cleaned_data = {}
    formset._errors = [item_form._errors for item_form in formset.forms]
    formset._non_form_errors = formset.error_class(renderer=formset.renderer)


@permission_required(["cases.view_all_cases", "cases.add_case"], raise_exception=True)
@submit_once
def intake(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST" and ("add_item" in request.POST or "remove_item" in request.POST):
        # Add or remove an item slot without JavaScript: the page again, nothing written.
        remove = request.POST.get("remove_item", "")
        data = intake_forms.rearranged_item_slots(
            request.POST,
            add="add_item" in request.POST,
            remove=int(remove) if re.fullmatch(r"[0-9]{1,4}", remove) else None,
        )
        form = intake_forms.IntakeForm(data)
        formset = intake_forms.DisputedItemFormSet(data, prefix=intake_forms.ITEMS_PREFIX)
        _without_errors(form, formset)
        if "add_item" in request.POST:
            if len(formset.forms) > len(formset.used_forms()):
                formset.forms[-1].fields["description"].widget.attrs["autofocus"] = True
            else:
                messages.warning(request, formset.error_messages["too_many_forms"])
    elif request.method == "POST":
        form = intake_forms.IntakeForm(request.POST)
        formset = intake_forms.DisputedItemFormSet(request.POST, prefix=intake_forms.ITEMS_PREFIX)
        if form.is_valid() and formset.is_valid():
            item_forms = formset.used_forms()
            payload = intake_forms.build_intake_payload(
                form=form, items=[item_form.cleaned_data for item_form in item_forms]
            )
            try:
                case = import_case(payload=payload, by=request.user, source=IntakeSource.INTAKE_FORM)
            except IntakeError as error:
                _apply_intake_errors(error=error, form=form, item_forms=item_forms)
            else:
                messages.success(request, f"Case {case.case_number} created.")
                return redirect("cases:case", case_id=case.pk)
        status = 400
    else:
        form = intake_forms.IntakeForm()
        formset = intake_forms.DisputedItemFormSet(prefix=intake_forms.ITEMS_PREFIX)
    slots = _item_slots(formset)
    summary = _error_summary(form=form, slots=slots, formset=formset) if status == 400 else []
    return render(
        request,
        "exchange/intake.html",
        {
            "form": form,
            "formset": formset,
            "item_slots": slots,
            "error_summary": summary,
            "max_items": intake_forms.MAX_DISPUTED_ITEMS,
        },
        status=status,
    )
