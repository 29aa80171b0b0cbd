"""In chromium: intake staff sort the work queue by a column heading, filter it by category and
priority, open a case, come back through the navigation and find the queue as they left it;
"Reset sort and filters" brings the default queue back."""

from __future__ import annotations

from datetime import date

import pytest

from cases.models import CaseStatus, ItemCategory, PartyRole, Priority
from imr_site import roles
from tests.factories import CaseFactory, DisputedItemFactory, PartyFactory, UserFactory
from tests.second_factor import browser_login


def rows(page) -> list[str]:
    return page.locator("table tbody tr td:first-child a").all_inner_texts()


@pytest.mark.django_db(transaction=True)
def test_sort_and_filter_the_queue_and_find_them_kept(page, output_dir):
    made = {}
    for n, (deadline, received, category, priority) in enumerate(
        [
            (date(2026, 6, 20), date(2026, 5, 1), ItemCategory.SURGERY, Priority.STANDARD),
            (date(2026, 6, 5), date(2026, 4, 1), ItemCategory.SURGERY, Priority.EXPEDITED),
            (date(2026, 7, 1), date(2026, 3, 1), ItemCategory.SURGERY, Priority.STANDARD),
            (date(2026, 6, 1), date(2026, 5, 20), ItemCategory.ACUPUNCTURE, Priority.STANDARD),
        ],
        start=1,
    ):
        case = CaseFactory(
            case_number=f"CM26-000010{n}",
            status=CaseStatus.IN_REVIEW,
            next_deadline=deadline,
            received_on=received,
            priority=priority,
        )
        PartyFactory(case=case, role=PartyRole.EMPLOYEE, name=f"Employee {n}")
        DisputedItemFactory(case=case, position=1, category=category)
        made[n] = case.case_number
    staff = UserFactory(username="intake.queues", role=roles.INTAKE_STAFF)
    browser_login(page, staff)

    page.goto("/cases/")
    assert rows(page) == [made[4], made[2], made[1], made[3]]  # nearest deadline first
    page.get_by_role("link", name="Received", exact=True).click()
    page.wait_for_url("**sort=received**")
    assert rows(page) == [made[3], made[2], made[1], made[4]]
    page.get_by_role("link", name="Received", exact=True).click()  # again: newest first
    page.wait_for_url("**sort=-received**")
    assert rows(page) == [made[4], made[1], made[2], made[3]]

    page.get_by_label("Treatment category").select_option(ItemCategory.SURGERY)
    page.get_by_label("Priority").select_option(Priority.STANDARD)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**category=surgery**")
    assert rows(page) == [made[1], made[3]]
    assert page.locator("[data-count='in_review']").inner_text() == "2"

    page.get_by_role("link", name=made[1]).click()
    page.wait_for_url("**/cases/*/")
    page.goto("/cases/")  # back to the queue as from the navigation
    page.wait_for_url("**sort=-received**")
    assert rows(page) == [made[1], made[3]]
    assert page.get_by_label("Treatment category").input_value() == ItemCategory.SURGERY
    assert page.get_by_label("Priority").input_value() == Priority.STANDARD
    assert page.get_by_label("Sort", exact=True).input_value() == "-received"
    page.screenshot(path=str(output_dir / "queues-sorted-filtered-kept-1280.png"), full_page=True)

    page.get_by_role("link", name="Reset sort and filters").first.click()
    page.wait_for_selector("text=Sort and filters reset")
    assert rows(page) == [made[4], made[2], made[1], made[3]]
