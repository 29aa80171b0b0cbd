from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@permission_required("cases.view_all_cases", raise_exception=True)
def queues(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/queues.html", {})
