from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


def reviewer_home(request: HttpRequest) -> HttpResponse:
    if not hasattr(request.user, "reviewer"):
        raise Http404("No reviewer profile.")
    return render(request, "review/reviewer_home.html", {})


@permission_required("determinations.qa_determination", raise_exception=True)
def qa_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "review/qa_queue.html", {})
