"""The one date format people read (MM/DD/YYYY), as a template filter and in Python."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.template import Context, Template
from django.test import override_settings

from core.dates import us_date


def _render(source: str, **context) -> str:
    return Template("{% load dates %}" + source).render(Context(context))


def test_us_date_pads_month_and_day():
    assert us_date(date(2015, 3, 4)) == "03/04/2015"
    assert _render("{{ d|us_date }}", d=date(2015, 3, 4)) == "03/04/2015"


def test_missing_or_wrong_values_render_blank_so_default_applies():
    """None, "" and a value that is not a date: blank, as Django's `date` filter does."""
    assert us_date(None) == ""
    assert _render('{{ d|us_date|default:"—" }}', d=None) == "—"
    assert _render('{{ d|us_date|default:"—" }}', d="") == "—"
    assert _render("{{ d|us_date }}", d="not a date") == ""
    assert _render("{{ d|us_datetime }}", d=None) == ""


@override_settings(TIME_ZONE="America/Los_Angeles", USE_TZ=True)
def test_datetimes_are_shown_in_the_site_time_zone():
    """03:30 UTC on March 5 is still March 4 in California."""
    at = datetime(2015, 3, 5, 3, 30, tzinfo=UTC)
    assert _render("{{ at|us_date }}", at=at) == "03/04/2015"
    assert _render("{{ at|us_datetime }}", at=at) == "03/04/2015 19:30"


def test_same_text_as_the_date_filters_it_replaces():
    at = datetime(2015, 12, 31, 23, 5, tzinfo=UTC)
    day = date(2015, 1, 9)
    assert _render("{{ at|us_datetime }} {{ day|us_date }}", at=at, day=day) == _render(
        '{{ at|date:"m/d/Y H:i" }} {{ day|date:"m/d/Y" }}', at=at, day=day
    )


def test_same_text_as_djangos_dateformat_for_any_date_and_time():
    """Written with an f-string for speed: the text Django's `dateformat` writes, edge cases too."""
    from django.utils import dateformat

    from core.dates import US_DATE_FORMAT, US_DATETIME_FORMAT, us_datetime

    for day in (date(1, 1, 1), date(999, 2, 3), date(2015, 3, 4), date(2026, 12, 31), date(9999, 12, 31)):
        assert us_date(day) == dateformat.format(day, US_DATE_FORMAT)
    for at in (
        datetime(2015, 3, 4, 0, 0, tzinfo=UTC),
        datetime(2015, 3, 4, 9, 5, 59, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 1, 2, 12, 0),
    ):
        assert us_datetime(at) == dateformat.format(at, US_DATETIME_FORMAT)
        assert us_date(at) == dateformat.format(at, US_DATE_FORMAT)
