"""`migrate` brings the role groups to what imr_site.roles says, on a database made earlier."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from imr_site import roles

pytestmark = pytest.mark.django_db


def test_migrate_gives_an_existing_role_group_the_permissions_a_release_added():
    groups = roles.ensure_role_groups()
    intake = groups[roles.INTAKE_STAFF]
    # As a database made before the reports app existed: the group lacks its permission.
    view_reports = Permission.objects.get(content_type__app_label="reports", codename="view_reports")
    intake.permissions.remove(view_reports)
    qa = groups[roles.CLINICAL_QA]
    qa.permissions.add(view_reports)  # and one that a release took away
    call_command("migrate", verbosity=0)
    assert intake.permissions.filter(pk=view_reports.pk).exists()
    assert not Group.objects.get(pk=qa.pk).permissions.filter(pk=view_reports.pk).exists()
