"""What a browser posts from the intake form (`/cases/new/`), for the view tests.

`browser_fields(html)` reads a rendered page the way a browser builds its POST: every
input of the intake form with its value ("" when empty), the selected (or first) option of
each select, checked radios and checkboxes only, textareas, hidden inputs (the management
form), nothing inside <template>, no submit buttons. `intake_post(...)` builds the same
thing for given items; a test checks the two agree, so the helper cannot drift from the page.
"""

from __future__ import annotations

from html.parser import HTMLParser

APPLICATION = {
    "priority": "standard",
    "received_on": "2015-02-27",
    "signed": "yes",
    "ur_decision_attached": "yes",
    "liability_disputed": "no",
    "employee_first_name": "Maria",
    "employee_last_name": "Example",
    "employee_date_of_birth": "",
    "employee_email": "maria.example@example.org",
    "employee_mailing_address": "12 Orchard Lane\r\nFresno, CA 93701",  # a browser sends CRLF
    "employer_name": "Central Valley Packing Co.",
    "employer_email": "",
    "employer_mailing_address": "",
    "claims_administrator_name": "Golden State Claims Services",
    "claim_number": "GSC-07-999999",
    "claims_administrator_email": "",
    "claims_administrator_mailing_address": "",
    "provider_name": "Dr. Alan Treating",
    "provider_specialty": "",
    "provider_npi": "1234567893",
    "provider_email": "",
    "provider_mailing_address": "",
    "attorney_name": "",
    "attorney_firm": "",
    "attorney_email": "",
    "attorney_mailing_address": "",
    "injury_date": "2007-05-03",
    "body_parts": "right hip\r\nback",
    "diagnoses": "chronic pain",
    "ur_decision_date": "2015-02-06",
    "ur_served_on": "2015-02-09",
    "ur_service_method": "mail",
    "ur_reviewer_name": "",
    "ur_organization": "",
    "ur_conditionally_noncertified": "no",
}

# The values of an empty page: what a browser posts when nothing is typed or chosen.
EMPTY_APPLICATION = {
    **dict.fromkeys(APPLICATION, ""),
    "priority": "standard",  # the select's selected option
    "signed": "yes",  # radios drawn checked
    "ur_decision_attached": "yes",
    "liability_disputed": "no",
    "ur_service_method": "mail",
    "ur_conditionally_noncertified": "no",
}

# A slot as the browser posts it when left alone: selects on their first option "—" (""),
# the unchecked formulary box absent, the hidden DELETE input empty.
BLANK_SLOT = {
    "description": "",
    "category": "",
    "ur_decision": "",
    "quantity": "",
    "procedure_code": "",
    "body_part": "",
    "DELETE": "",
}

PT = {
    "description": "Physical Therapy 2x8 for the Lumbar Spine",
    "category": "physical_medicine",
    "ur_decision": "modified",
    "quantity": "16",
}
MRI = {"description": "MRI of the lumbar spine", "category": "diagnostics", "ur_decision": "denied"}
TRAMADOL = {
    "description": "Tramadol 50mg #60",
    "category": "pharmaceuticals",
    "ur_decision": "denied",
    "quantity": "60",
    "formulary_drug": "on",
}


def slot(**values: str) -> dict[str, str]:
    return {**BLANK_SLOT, **values}


def intake_post(*slots: dict[str, str], **application: str) -> dict[str, str]:
    """The POST of the form with these item slots (each a `slot(...)`), as a browser sends it."""
    data = {**APPLICATION, **application}
    data.update(
        {
            "items-TOTAL_FORMS": str(len(slots)),
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "30",
        }
    )
    for index, values in enumerate(slots):
        for name, value in values.items():
            data[f"items-{index}-{name}"] = value
    return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self._in_form = False
        self._template_depth = 0
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "template":
            self._template_depth += 1
        if self._template_depth:
            return
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = True
            self.forms.append([])
        if not self._in_form or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.forms[-1].append((name, a.get("value", "on")))
                return
            self.forms[-1].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "template":
            self._template_depth -= 1
        if self._template_depth:
            return
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [
                value for value, _ in self._options[:1]
            ]
            if chosen:
                self.forms[-1].append((self._select, chosen[-1]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the newline that directly follows <textarea>.
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.forms[-1].append((self._textarea, text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None and not self._template_depth:
            self._text += data


def browser_fields(html: str) -> dict[str, str]:
    """The intake form's POST as a browser would send it from this page, without the CSRF token."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    for fields in parser.forms:
        names = dict(fields)
        if "items-TOTAL_FORMS" in names:
            names.pop("csrfmiddlewaretoken", None)
            return names
    raise AssertionError("no intake form on the page")
