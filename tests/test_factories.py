import pytest

from cases.models import CaseStatus
from imr_site import roles
from tests.factories import UserFactory, make_seed_like_case, make_seed_reviewer


@pytest.mark.django_db
def test_seed_like_case_and_reviewer_build():
    case = make_seed_like_case()
    assert case.status == CaseStatus.RECEIVED
    assert case.parties.count() == 4
    assert list(case.disputed_items.values_list("position", flat=True)) == [1, 2]
    reviewer = make_seed_reviewer()
    assert list(reviewer.licenses.values_list("state", flat=True)) == ["GA", "CA", "TX"]


@pytest.mark.django_db
def test_role_groups_give_intake_staff_the_admin_console():
    user = UserFactory(role=roles.INTAKE_STAFF)
    assert user.is_staff
    assert user.has_perm("cases.view_all_cases")
    assert not UserFactory(role=roles.REVIEWER).has_perm("cases.view_all_cases")
