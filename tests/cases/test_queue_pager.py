"""The work queues' pager (the shared templates/_pagination.html): it keeps the chosen queue
on every page link, and a garbage or too-large `?page=` shows the first/last page, not a 500."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import CaseStatus
from imr_site import roles
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_pager_keeps_the_status_and_survives_bad_pages(client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    CaseFactory.create_batch(3, status=CaseStatus.RECEIVED)
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    url = reverse("cases:queues")
    body = client.get(url, {"status": CaseStatus.RECEIVED}).content.decode()
    assert "Page 1 of 2" in body
    assert re.search(r'href="\?status=received&amp;page=2">Next<', body)
    body = client.get(url, {"status": CaseStatus.RECEIVED, "page": 2}).content.decode()
    assert "Page 2 of 2" in body and re.search(r'href="\?status=received&amp;page=1">Previous<', body)
    for bad, number in (("99", 2), ("abc", 1)):
        response = client.get(url, {"status": CaseStatus.RECEIVED, "page": bad})
        assert response.status_code == 200 and f"Page {number} of 2" in response.content.decode()
