from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the workspace of their role."""
    user = request.user
    if hasattr(user, "portal_membership"):  # an organization's user (portal.Membership)
        return redirect("portal:home")
    if user.has_perm("cases.view_all_cases") and user.is_staff:
        return redirect("cases:queues")
    if user.has_perm("determinations.qa_determination"):
        return redirect("review:qa_queue")
    if hasattr(user, "reviewer"):
        return redirect("review:reviewer_home")
    if user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied("Your account has no role in this system yet; ask an administrator.")
