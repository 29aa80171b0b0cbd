"""The API's door: an organization's token (`Authorization: Api-Key <token>`), checked against
its hash (djangorestframework-api-key), refused when revoked or expired; throttled per token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from portal.models import OrganizationAPIKey

KEYWORD = "Api-Key"


class OrganizationTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[AnonymousUser, OrganizationAPIKey] | None:
        header = get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != KEYWORD.lower() or not key:
            raise AuthenticationFailed(
                f"Send the organization's token as 'Authorization: {KEYWORD} <token>'."
            )
        prefix = key.partition(".")[0]
        api_key = OrganizationAPIKey.objects.select_related("organization").filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(key):
            raise AuthenticationFailed("This token is not valid.")
        if api_key.revoked:
            raise AuthenticationFailed("This token was revoked; ask the IMRO for a new one.")
        if api_key.has_expired:
            raise AuthenticationFailed("This token has expired; ask the IMRO for a new one.")
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class HasOrganizationToken(BasePermission):
    message = f"Send the organization's token as 'Authorization: {KEYWORD} <token>'."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, OrganizationAPIKey)


class PerTokenThrottle(SimpleRateThrottle):
    """PORTAL_API_RATE per token; requests without a valid token share a limit per address."""

    scope = "token"  # type: ignore[assignment]

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, OrganizationAPIKey):
            ident = f"key:{request.auth.prefix}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class OrganizationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.auth.OrganizationTokenAuthentication"
    name = "OrganizationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"The organization's token: `{KEYWORD} <token>` (manage.py api_token prints one).",
        }
