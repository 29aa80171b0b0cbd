"""The client's address: one rule for the lockout (django-axes), the access log and the public
library's rate limit.

Off by default (`TRUSTED_PROXY_COUNT = 0`): the address is REMOTE_ADDR, the peer of the TCP
connection, and an X-Forwarded-For header a client sends changes nothing.

Behind reverse proxies (`TRUSTED_PROXY_COUNT = N`, N >= 1), each of which appends the address it
received the request from to X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`, every load
balancer), the client's address is the N-th entry from the right: whatever a client wrote into
the header itself stands further left and is never taken. django-ipware reads the header (its
`proxy_count` counts the proxies whose own addresses are in the list, i.e. all but the last one,
which is REMOTE_ADDR). A request that reached the site without the header (not through the
proxy) keeps REMOTE_ADDR.

Set it only when every request reaches the site through those proxies (the site's port is not
reachable directly): the count is what makes the header trustworthy.

This module imports no app (pyproject: "Site-wide helpers used by every app import no app").
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (at most 45 characters, an IPv6 address's longest form) or None."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip()[:45] or None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0
    if proxies < 1 or not request.META.get(FORWARDED_FOR):
        return remote
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=[FORWARDED_FOR],
        strict=False,
    )
    return address[:45] if address else remote
