from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the workspace of their role."""
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("admin:index")
