from django.conf import settings
from django.http import HttpRequest


def organization(request: HttpRequest) -> dict[str, str]:
    return {"IMRO_NAME": settings.IMRO_NAME, "IMRO_SHORT_NAME": settings.IMRO_SHORT_NAME}
