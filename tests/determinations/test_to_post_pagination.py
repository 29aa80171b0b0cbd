"""The post tray in pages: oldest issue date first, a page of letters at a time, queries constant,
and the bulk "record as mailed" form working on each page.

Bad inputs tried: a page past the end (last page), a garbage page (`?page=abc`, first page) —
never a 500; a post from page 2 with nothing chosen (400, page 2's letters still offered).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from determinations import views
from determinations.models import Delivery, DeliveryChannel, DeliveryStatus
from determinations.services.letters import issue_letter
from imr_site import roles
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import UserFactory
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

PAGE = 4
URL = "/letters/to-post/"


@pytest.fixture
def staff(client, monkeypatch):
    monkeypatch.setattr(views, "TO_POST_PAGE_SIZE", PAGE)
    user = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(user)
    return user


def _posted_letter():
    determination = approved_seed_determination()
    determination.case.parties.filter(role="employee").update(
        email="", mailing_address="1 Packing House Road"
    )
    letter = issue_letter(determination_id=determination.pk)
    first = letter.deliveries.get(status=DeliveryStatus.TO_POST)
    return letter, first


def _more_to_post(first: Delivery, count: int) -> list[Delivery]:
    """Further letters for the post: resends of the first (the constraint allows one first send)."""
    return [
        Delivery.objects.create(
            letter=first.letter,
            party=first.party,
            recipient_role=first.recipient_role,
            recipient_name=f"Recipient {n:03d}",
            channel=DeliveryChannel.POST,
            address=f"{n} Main Street\nFresno, CA 93725",
            status=DeliveryStatus.TO_POST,
            resend_of=first,
        )
        for n in range(count)
    ]


def offered(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="deliveries" value="(\d+)"', response.content.decode())]


def test_to_post_pages_and_bad_page_numbers(client, staff):
    assert reverse("letters:to_post") == URL
    _letter, first = _posted_letter()
    waiting = [first, *_more_to_post(first, PAGE + 1)]  # page size + 2 letters, one issue date
    ids = [d.pk for d in waiting]
    page1 = client.get(URL)
    assert page1.status_code == 200
    body = page1.content.decode()
    assert offered(page1) == ids[:PAGE]
    assert f"Print all {len(ids)} as one PDF" in body and "Page 1 of 2" in body
    page2 = client.get(URL, {"page": 2})
    assert offered(page2) == ids[PAGE:]
    for bad, expected in (("99", ids[PAGE:]), ("abc", ids[:PAGE]), ("", ids[:PAGE])):
        response = client.get(URL, {"page": bad})
        assert response.status_code == 200, bad
        assert offered(response) == expected, bad


def test_to_post_oldest_issue_date_first(client, staff, frozen_today):
    # Each letter is issued on its own day (an issued letter is never changed afterwards).
    frozen_today(date(2026, 1, 5))
    older, first_old = _posted_letter()
    frozen_today(date(2026, 1, 2))
    newer, first_new = _posted_letter()
    assert (older.issued_on, newer.issued_on) == (date(2026, 1, 5), date(2026, 1, 2))
    _more_to_post(first_old, PAGE)
    response = client.get(URL)
    assert offered(response)[0] == first_new.pk  # issued earlier though created later


def test_mark_mailed_from_page_two_keeps_the_page(client, staff):
    letter, first = _posted_letter()
    waiting = [first, *_more_to_post(first, PAGE + 1)]
    second_page = [d.pk for d in waiting[PAGE:]]
    mailed_on = max(letter.issued_on, date.today()).isoformat()
    response = client.post(f"{URL}?page=2", {"mailed_on": mailed_on})
    assert response.status_code == 400
    assert offered(response) == second_page  # nothing chosen: page 2 shown again with its letters
    response = client.post(f"{URL}?page=2", {"deliveries": second_page, "mailed_on": mailed_on})
    assert response.status_code == 302 and response["Location"] == f"{URL}?page=2"
    assert set(Delivery.objects.filter(status=DeliveryStatus.POSTED).values_list("pk", flat=True)) == set(
        second_page
    )
    # Page 2 no longer exists: the last page (the first) is shown.
    assert offered(client.get(response["Location"])) == [d.pk for d in waiting[:PAGE]]


def test_to_post_queries_do_not_grow_with_rows(client, staff, django_assert_max_num_queries):
    _letter, first = _posted_letter()
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    _more_to_post(first, PAGE * 3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, {"page": 2})
    assert len(offered(response)) == PAGE
    assert len(many.captured_queries) == len(one.captured_queries)
    # 10: the page's reads (count, the page's ids, their rows, ...) and the one INSERT of the
    # access-log rows for the cases shown.
    with django_assert_max_num_queries(10 + SECOND_FACTOR_QUERIES):
        client.get(URL, {"page": 3})


def test_to_post_rows_show_each_field_escaped(client, staff):
    """The rows are written in Python (`post_tags.to_post_rows`): the address keeps its lines,
    HTML in a name or an address is shown as text, the role as its label."""
    letter, first = _posted_letter()
    Delivery.objects.create(
        letter=letter,
        party=first.party,
        recipient_role=first.recipient_role,
        recipient_name="Ana <i>Ruiz</i>",
        channel=DeliveryChannel.POST,
        address="12 <b>Main</b> Street\r\nFresno, CA 93725",
        status=DeliveryStatus.TO_POST,
        resend_of=first,
    )
    html = client.get(URL).content.decode()
    row = re.search(r"<tr><td>[^<]*</td><td>[^<]*</td><td class=\"text-break\">Ana &lt;i&gt;.*?</tr>", html)
    assert row, html
    assert 'Ana &lt;i&gt;Ruiz&lt;/i&gt;<br><small class="text-muted">Employee</small></td>' in row.group(0)
    assert '<td class="text-break">12 &lt;b&gt;Main&lt;/b&gt; Street<br>Fresno, CA 93725</td>' in row.group(0)
    assert f"<td>{letter.issued_on:%m/%d/%Y}</td><td>{letter.pages}</td></tr>" in row.group(0)
    assert f"<td>{letter.determination.case.case_number}</td>" in row.group(0)
