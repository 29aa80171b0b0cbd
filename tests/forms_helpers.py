"""Post forms the way a browser does: with the one-time token of the page the form is on.

`with_token(client, page_url, data)` opens the page, takes the `form_token` of the form that
posts to `action` (by default the page itself) and returns `data` with it added;
failing when the page has no such form or the form no token, which is itself a check that
every form posting to a guarded view carries one.
"""

from __future__ import annotations

import re
from html import unescape

from core.form_tokens import FIELD_NAME

_FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
_ACTION = re.compile(r'\baction="(?P<action>[^"]*)"')
_TOKEN = re.compile(rf'name="{FIELD_NAME}" value="(?P<value>[^"]+)"')


def form_token(client, page_url: str, *, action: str | None = None) -> str:
    response = client.get(page_url)
    assert response.status_code == 200, f"GET {page_url}: {response.status_code}"
    html = response.content.decode()
    action = action or page_url
    for match in _FORM.finditer(html):
        found = _ACTION.search(match.group("attrs"))
        form_action = unescape(found.group("action")) if found else page_url
        if form_action != action:
            continue
        token = _TOKEN.search(match.group("body"))
        assert token, f"the form posting to {form_action} on {page_url} has no {FIELD_NAME}"
        return unescape(token.group("value"))
    raise AssertionError(f"no form posting to {action} on {page_url}")


_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)"')


def hidden_fields(client, page_url: str, *, action: str | None = None) -> dict[str, str]:
    """The hidden inputs (token included) of the form on `page_url` posting to `action`."""
    action = action or page_url
    html = client.get(page_url).content.decode()
    for match in _FORM.finditer(html):
        found = _ACTION.search(match.group("attrs"))
        if (unescape(found.group("action")) if found else page_url) == action:
            fields = {m["name"]: unescape(m["value"]) for m in _HIDDEN.finditer(match.group("body"))}
            fields.pop("csrfmiddlewaretoken", None)
            assert FIELD_NAME in fields, f"the form posting to {action} on {page_url} has no {FIELD_NAME}"
            return fields
    raise AssertionError(f"no form posting to {action} on {page_url}")


def with_token(client, page_url: str, data: dict | None = None, *, action: str | None = None) -> dict:
    """`data` plus the token of the form on `page_url` posting to `action` (default: the page)."""
    return {**(data or {}), FIELD_NAME: form_token(client, page_url, action=action)}


def post_form(client, url: str, data: dict | None = None, *, page_url: str | None = None, **kwargs):
    """POST `data` to `url` with the token of its form on `page_url` (default: `url` itself)."""
    return client.post(url, with_token(client, page_url or url, data, action=url), **kwargs)


def own_token(client) -> str:
    """A valid token for the client's logged-in user, for a form their browser never got.

    For the requests of users who cannot open the page of the form (checks that they are
    refused for who they are, not for a missing token).
    """
    from django.contrib.auth import SESSION_KEY, get_user_model

    from core.form_tokens import issue_token

    return issue_token(user=get_user_model().objects.get(pk=client.session[SESSION_KEY]))
