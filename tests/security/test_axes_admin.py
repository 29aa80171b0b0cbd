"""django-axes' log-in records in the admin: 25 rows a page, a capped count, no date hierarchy
and no path filter (each read every row of a table that grows with every log-in)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse
from django.utils import timezone

from imr_site import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin1", role=roles.ADMINISTRATOR, is_superuser=True))
    return client


def test_the_login_records_come_25_a_page_without_reading_every_row(admin_client):
    now = timezone.now()
    AccessLog.objects.bulk_create(
        AccessLog(
            username=f"user{n}",
            ip_address="127.0.0.1",
            user_agent="pytest",
            path_info=f"/accounts/login/{n}",
            attempt_time=now - timedelta(minutes=n),
        )
        for n in range(30)
    )
    page = admin_client.get(reverse("admin:axes_accesslog_changelist"))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('class="action-select"') == 25
    filters = body.split('id="changelist-filter"')[1][:3000]
    assert "path_info" not in filters
    assert "xfull" not in body  # date_hierarchy's links are gone
    second = admin_client.get(reverse("admin:axes_accesslog_changelist"), {"p": "2"}).content.decode()
    # 30 made here and the administrator's own log-in.
    assert second.count('class="action-select"') == AccessLog.objects.count() - 25 == 6
    found = admin_client.get(reverse("admin:axes_accesslog_changelist"), {"q": "user7"}).content.decode()
    assert "/accounts/login/7<" in found and "/accounts/login/8<" not in found


@pytest.mark.parametrize("model", [AccessLog, AccessFailureLog, AccessAttempt])
def test_each_axes_list_answers(admin_client, model):
    url = reverse(f"admin:axes_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
