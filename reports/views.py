"""The dashboard and the report pages: thin doors into reports.selectors and reports.dashboard."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from core import clock
from core.http import require_http_methods
from core.types import AuthenticatedHttpRequest
from reports import dashboard as board
from reports import export
from reports.errors import ReportError
from reports.periods import Period, default_period, parse_period
from reports.selectors import KINDS, ReportResult, run_report
from reports.services import log_report_read

# Rows a report page shows (the CSV has every row): the listings (late determinations, reviewer
# productivity) come in pages of this many, `?page=N`.
PAGE_ROWS = 100


def _page_number(request: AuthenticatedHttpRequest) -> int:
    """`?page=N`, as Django's Paginator.get_page reads it: anything but a positive number is page 1."""
    try:
        return max(1, min(int(request.GET.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


@permission_required("reports.view_reports", raise_exception=True)
@require_http_methods(["GET"])
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = clock.today()
    trend_period, trend = board.monthly_trend(today=today)
    workload = board.reviewer_workload()
    open_counts = board.open_case_counts()
    return render(
        request,
        "reports/dashboard.html",
        {
            "today": today,
            "work": board.todays_work(today=today, open_counts=open_counts),
            "age_buckets": [label for label, _most in board.AGE_BUCKETS],
            "ageing": board.ageing(today=today, open_counts=open_counts),
            "due": board.due_this_week(today=today),
            "workload": workload,
            "workload_buckets": list(zip(board.WORKLOAD_BUCKETS, workload.buckets, strict=True)),
            "trend_period": trend_period,
            "trend": trend,
        },
    )


@permission_required("reports.view_reports", raise_exception=True)
@require_http_methods(["GET"])
def report_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"kinds": KINDS.values(), "period": _default(request)})


def _default(request: AuthenticatedHttpRequest) -> Period:
    return default_period(today=clock.today())


def _period_from(request: AuthenticatedHttpRequest) -> Period:
    """The period the query string asks for; the last twelve months when it names none."""
    if "from" not in request.GET and "to" not in request.GET:
        return _default(request)
    return parse_period(start=request.GET.get("from"), end=request.GET.get("to"))


@permission_required("reports.view_reports", raise_exception=True)
@require_http_methods(["GET"])
def report_page(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    spec = KINDS.get(kind)
    if spec is None:
        raise Http404("No such report.")
    context: dict = {"spec": spec, "kinds": KINDS.values()}
    try:
        period = _period_from(request)
    except ReportError as error:
        context.update(
            error=error,
            values={"from": request.GET.get("from", "")[:20], "to": request.GET.get("to", "")[:20]},
        )
        return render(request, "reports/report.html", context, status=400)
    number = _page_number(request)
    result = run_report(
        kind=kind, period=period, today=clock.today(), limit=PAGE_ROWS, offset=(number - 1) * PAGE_ROWS
    )
    pages = max(1, -(-result.total_rows // PAGE_ROWS))
    if number > pages:
        # Past the last page (a bookmark of a shorter period): the last page, as get_page does.
        number = pages
        result = run_report(
            kind=kind, period=period, today=clock.today(), limit=PAGE_ROWS, offset=(number - 1) * PAGE_ROWS
        )
    log_report_read(result=result, user=request.user, request=request, export=False)
    first = (number - 1) * PAGE_ROWS
    context.update(
        result=result,
        values={"from": period.start.isoformat(), "to": period.end.isoformat()},
        rows=_display_rows(result),
        pager={
            "number": number,
            "pages": pages,
            "first": first + 1,
            "last": first + len(result.rows),
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < pages else None,
        },
    )
    return render(request, "reports/report.html", context)


def _display_rows(result: ReportResult) -> list[list[tuple[str, object]]]:
    return [
        [(column.kind, value) for column, value in zip(result.columns, row, strict=True)]
        for row in result.rows
    ]


@permission_required("reports.view_reports", raise_exception=True)
@require_http_methods(["GET"])
def report_csv(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("No such report.")
    try:
        period = _period_from(request)
    except ReportError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    result = run_report(kind=kind, period=period, today=clock.today())
    log_report_read(result=result, user=request.user, request=request, export=True)
    buffer = io.StringIO()
    export.write_csv(result, buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(result, "csv")}"'
    return response
