"""In a browser: staff consolidate two applications on the case page, see the items under the
lead, split one off again, and both cases' timelines show it.

Real parts: the live server, Debian's chromium through Playwright, PostgreSQL. Bad input tried on
the way: a case with another date of injury typed into the consolidation form (refused with the
reason on the page, nothing consolidated), and a malformed case number (the form's error).
"""

from __future__ import annotations

from datetime import date

import pytest

from cases.models import Case, DisputedItem
from imr_site import roles
from tests.factories import DisputedItemFactory, UserFactory, make_seed_like_case
from tests.second_factor import browser_login


def _second_application(**fields) -> Case:
    other = make_seed_like_case(**fields)
    other.disputed_items.all().delete()
    DisputedItemFactory(
        case=other, position=1, description="Lumbar MRI without contrast", category="diagnostics"
    )
    return other


def _consolidation_form(page, numbers: str, reason: str) -> None:
    # A rare step: "More actions" on the case page opens its own page with the form.
    page.get_by_role("button", name="More actions").click()
    page.locator("a#step-consolidate").click()
    card = page.locator("form#step-consolidate")
    card.locator("[name='consolidate-case_numbers']").fill(numbers)
    card.locator("[name='consolidate-reason']").fill(reason)
    card.get_by_role("button", name="Consolidate cases into this one").click()


@pytest.mark.django_db(transaction=True)
def test_staff_consolidate_and_split_on_the_case_page(page, live_server, output_dir):
    lead = make_seed_like_case()
    other = _second_application()
    elsewhere = _second_application()
    Case.objects.filter(pk=elsewhere.pk).update(injury_date=date(2009, 5, 6))
    staff = UserFactory(username="intake.consol", role=roles.INTAKE_STAFF)
    lead_items = list(lead.disputed_items.order_by("position").values_list("description", flat=True))

    browser_login(page, staff)
    page.goto(f"/cases/{lead.pk}/")
    # The page names the candidate (same employee, injury and physician), not the other injury's case.
    candidates = page.locator("#consolidation a.candidate").all_inner_texts()
    assert candidates == [other.case_number]

    # Bad input first: a malformed number, then a case with another date of injury.
    _consolidation_form(page, "CM-12", "Same RFA")
    page.wait_for_selector("text=Not a case number: CM-12")
    page.goto(f"/cases/{lead.pk}/")
    _consolidation_form(page, elsewhere.case_number, "Same RFA")
    page.wait_for_selector(f"text=Case {elsewhere.case_number} has another date of injury (05/06/2009).")
    assert Case.objects.get(pk=elsewhere.pk).consolidated_into_id is None
    assert not DisputedItem.objects.filter(origin_case__isnull=False).exists()

    # Consolidate: the other application's item now shows under the lead, "filed under" it.
    page.goto(f"/cases/{lead.pk}/")
    _consolidation_form(page, other.case_number, "Two applications for one RFA")
    page.wait_for_selector("#consolidation >> text=Consolidated into this case")
    rows = page.locator("table tbody tr", has_text="Lumbar MRI without contrast")
    assert rows.count() == 1 and f"filed under {other.case_number}" in rows.inner_text()
    for description in lead_items:
        assert page.locator("table tbody tr", has_text=description).count() == 1
    assert "Two applications for one RFA" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(output_dir / "consolidation-lead.png"), full_page=True)

    # The consolidated case's page says where it is reviewed, and offers no step of its own.
    page.goto(f"/cases/{other.pk}/")
    assert lead.case_number in page.locator("#consolidated-into").inner_text()
    assert page.locator("#step-start_eligibility_review button[disabled]").count() == 1

    # Split it off again from the lead.
    page.goto(f"/cases/{lead.pk}/")
    card = page.locator("#step-split")
    card.locator("[name='split-case_numbers']").fill(other.case_number)
    card.locator("[name='split-reason']").fill("Filed apart: another RFA after all")
    card.get_by_role("button", name="Split consolidated cases off").click()
    page.wait_for_selector("text=Cases split off: each continues on its own.")
    assert page.locator("table tbody tr", has_text="Lumbar MRI without contrast").count() == 0
    lead_timeline = page.locator("#timeline").inner_text()
    assert f"Consolidated with {other.case_number}: Two applications for one RFA" in lead_timeline
    assert f"Split off {other.case_number}: Filed apart: another RFA after all" in lead_timeline

    page.goto(f"/cases/{other.pk}/")
    assert page.locator("#consolidated-into").count() == 0
    assert page.locator("table tbody tr", has_text="Lumbar MRI without contrast").count() == 1
    other_timeline = page.locator("#timeline").inner_text()
    assert f"Consolidated into {lead.case_number}: Two applications for one RFA" in other_timeline
    assert f"Split off {lead.case_number}: Filed apart: another RFA after all" in other_timeline
    page.screenshot(path=str(output_dir / "consolidation-split-timeline.png"), full_page=True)
    # It goes on alone: its own step is open again.
    assert page.locator("#step-start_eligibility_review button:not([disabled])").count() == 1
