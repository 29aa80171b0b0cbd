"""The second factor: enrollment (QR code, backup codes) and the token step after the password."""

from __future__ import annotations

import logging
from base64 import b32encode
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, user_has_device, verify_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from imr_site.security import sessions
from imr_site.security.middleware import client_of, second_factor_exempt

logger = logging.getLogger("imr_site.security")

WRONG_CODE = (
    "That code is not right, or it was used already. Enter the current 6-digit code from your "
    "authenticator app, or one of your backup codes."
)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split()).replace("-", "").lower()
        if not token.isalnum():
            raise forms.ValidationError(WRONG_CODE)
        return token


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _passed(request: HttpRequest, device) -> None:
    """The session has passed the second factor with `device`: a new session key for it."""
    otp_login(request, device)
    request.session.cycle_key()
    logger.info(
        "second factor passed user=%s device=%s %s", request.user.pk, device.persistent_id, client_of(request)
    )


def _new_backup_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.OTP_BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@second_factor_exempt
def second_factor(request: HttpRequest) -> HttpResponse:
    """The step after the password: a code from the authenticator app or a backup code."""
    user = request.user
    target = _next_url(request)
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(target)
    if not user_has_device(user):
        return redirect(_with_next("second_factor_setup", target))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        for device in devices_for_user(user):
            if verify_token(user, device.persistent_id, token) is not None:
                _passed(request, device)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        f"You used a backup code; {left} left. Make new ones under “Two-step log-in” "
                        "when they run low.",
                    )
                return redirect(target)
        logger.warning("second factor failed user=%s %s", user.pk, client_of(request))
        form.add_error("token", WRONG_CODE)
    return render(request, "security/second_factor.html", {"form": form, "next": target})


def _may_enroll(request: HttpRequest) -> bool:
    """A password alone never replaces an enrolled device: only a session that passed the second
    factor, or a user with no device yet, may set one up."""
    return request.user.is_verified() or not user_has_device(request.user)  # type: ignore[union-attr]


def _pending_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@second_factor_exempt
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enroll an authenticator app: scan the QR code, enter a code to confirm, get backup codes."""
    target = _next_url(request)
    if not _may_enroll(request):
        return redirect(_with_next("second_factor", target))
    user = request.user
    device = _pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user, confirmed=True).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_backup_codes(user)
            _passed(request, device)
            logger.info("second factor enrolled user=%s %s", user.pk, client_of(request))
            return render(
                request, "security/backup_codes.html", {"codes": codes, "next": target, "enrolled": True}
            )
        form.add_error("token", WRONG_CODE)
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    context = {
        "form": form,
        "next": target,
        "secret": b32encode(device.bin_key).decode(),
        "enrolled": enrolled,
        "backup_codes_left": StaticToken.objects.filter(device__user=user).count(),
    }
    return render(request, "security/setup.html", context)


@second_factor_exempt
def second_factor_qr(request: HttpRequest) -> HttpResponse:
    """The pending device's key as a QR code (SVG, drawn here: nothing loaded from elsewhere)."""
    if not _may_enroll(request):
        return HttpResponse("Pass the second factor first.", status=403, content_type="text/plain")
    device = _pending_device(request.user)
    response = HttpResponse(content_type="image/svg+xml")
    write_qrcode_image(device.config_url, response)
    return response


@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes (the old ones stop working); only for a session that passed the second factor."""
    codes = _new_backup_codes(request.user)
    logger.info("backup codes renewed user=%s %s", request.user.pk, client_of(request))
    return render(
        request, "security/backup_codes.html", {"codes": codes, "next": reverse("home"), "enrolled": False}
    )


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """'Stay logged in' from the idle warning: the idle clock starts again."""
    sessions.touch(request.session)
    return JsonResponse({"seconds_left": sessions.seconds_left(request.session)})
