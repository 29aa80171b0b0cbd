"""The billing pages for administrators (permission `billing.manage_billing`, imr_site.roles).

Thin: a permission check, a form, then one selector or service. Every page that shows case
numbers writes the access log for the cases it showed (cases.services.audit).
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from billing import selectors
from billing.documents import csv_safe, invoice_filename, render_invoice_csv
from billing.forms import IssueMonthForm, MarkPaidForm, MarkPostedForm
from billing.models import Invoice, InvoiceDeliveryStatus
from billing.months import month_label, parse_month
from billing.services import invoicing
from cases.models import AccessAction
from cases.services.audit import log_listed_cases
from core.errors import DomainError
from core.form_tokens import submit_once
from core.http import require_http_methods
from core.types import AuthenticatedHttpRequest
from imr_site.roles import MANAGE_BILLING

INVOICES_PAGE_SIZE = 50
LINES_PAGE_SIZE = 100
STATEMENT_PAGE_SIZE = 50


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["GET"])
def invoice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    bill_to = request.GET.get("bill_to", "")[:200]
    unpaid = request.GET.get("unpaid") == "1"
    page_obj = Paginator(
        selectors.invoices(bill_to_key=bill_to, unpaid_only=unpaid), INVOICES_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/invoice_list.html",
        {
            "page_obj": page_obj,
            "invoices": page_obj.object_list,
            "bill_to": bill_to,
            "unpaid": unpaid,
            "issue_form": IssueMonthForm(),
        },
    )


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["POST"])
@submit_once
def issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = IssueMonthForm(request.POST)
    if form.is_valid():
        try:
            result = invoicing.issue_month(period=parse_month(form.cleaned_data["month"]), by=request.user)
        except DomainError as error:
            form.add_error("month" if error.field == "month" else None, error.message)
        else:
            label = month_label(result.period)
            if result.invoices:
                messages.success(
                    request,
                    f"{label}: {len(result.invoices)} invoice(s) issued for {result.cases_billed} case(s), "
                    f"${result.total_usd}.",
                )
            else:
                messages.info(request, f"{label}: nothing new to invoice.")
            for case_number, why in result.not_billed[:20]:
                messages.warning(request, f"Not billed: {case_number}: {why}.")
            return redirect("billing:invoice_list")
    page_obj = Paginator(selectors.invoices(), INVOICES_PAGE_SIZE).get_page(1)
    return render(
        request,
        "billing/invoice_list.html",
        {
            "page_obj": page_obj,
            "invoices": page_obj.object_list,
            "bill_to": "",
            "unpaid": False,
            "issue_form": form,
        },
        status=400,
    )


def _detail(
    request: AuthenticatedHttpRequest, invoice: Invoice, *, paid_form=None, posted_form=None, status=200
):
    page_obj = Paginator(selectors.invoice_lines(invoice=invoice), LINES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    lines = list(page_obj.object_list)
    log_listed_cases(
        user=request.user,
        case_ids=[line.case_id for line in lines],
        action=AccessAction.VIEW_CASE,
        object_repr=f"invoice {invoice.number}",
        request=request,
    )
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "delivery": getattr(invoice, "delivery", None),
            "month": month_label(invoice.period),
            "page_obj": page_obj,
            "lines": lines,
            "paid_form": paid_form or MarkPaidForm(),
            "posted_form": posted_form or MarkPostedForm(),
            "to_post": InvoiceDeliveryStatus.TO_POST,
        },
        status=status,
    )


def _invoice(invoice_id: int) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("delivery", "paid_by"), pk=invoice_id)


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["GET"])
def invoice_detail(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    return _detail(request, _invoice(invoice_id))


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["POST"])
@submit_once
def mark_paid(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(invoice_id)
    form = MarkPaidForm(request.POST)
    if form.is_valid():
        try:
            invoicing.mark_paid(invoice_id=invoice.pk, paid_on=form.cleaned_data["paid_on"], by=request.user)
        except DomainError as error:
            form.add_error("paid_on" if error.field == "paid_on" else None, error.message)
        else:
            messages.success(request, f"Invoice {invoice.number} marked paid.")
            return redirect("billing:invoice_detail", invoice_id=invoice.pk)
    return _detail(request, invoice, paid_form=form, status=400)


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["POST"])
@submit_once
def mark_posted(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(invoice_id)
    form = MarkPostedForm(request.POST)
    if form.is_valid():
        try:
            invoicing.mark_posted(
                invoice_id=invoice.pk, mailed_on=form.cleaned_data["mailed_on"], by=request.user
            )
        except DomainError as error:
            form.add_error("mailed_on" if error.field == "mailed_on" else None, error.message)
        else:
            messages.success(request, f"Invoice {invoice.number} recorded as mailed.")
            return redirect("billing:invoice_detail", invoice_id=invoice.pk)
    return _detail(request, invoice, posted_form=form, status=400)


def _log_export(request: AuthenticatedHttpRequest, invoice: Invoice) -> None:
    log_listed_cases(
        user=request.user,
        case_ids=list(invoice.lines.values_list("case_id", flat=True)),
        action=AccessAction.EXPORT,
        object_repr=f"invoice {invoice.number}",
        request=request,
    )


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["GET"])
def invoice_pdf(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(invoice_id)
    if not invoice.sha256:
        return HttpResponse(
            f"The PDF of invoice {invoice.number} is still being prepared; try again in a minute.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    _log_export(request, invoice)
    with invoice.pdf.open("rb") as pdf:
        response = HttpResponse(pdf.read(), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{invoice_filename(invoice=invoice, extension="pdf")}"'
    )
    return response


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["GET"])
def invoice_csv(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(invoice_id)
    _log_export(request, invoice)
    response = HttpResponse(render_invoice_csv(invoice=invoice), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{invoice_filename(invoice=invoice, extension="csv")}"'
    )
    return response


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["GET"])
def outstanding_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The statement as CSV: one row per claims administrator with something outstanding."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="IMR-outstanding-invoices.csv"'
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(["claims_administrator", "unpaid_invoices", "outstanding_usd", "oldest_unpaid_issued_on"])
    for row in selectors.outstanding_by_bill_to().iterator(chunk_size=1000):
        oldest = row["oldest_issued_on"].isoformat()
        writer.writerow([csv_safe(row["name"]), row["invoice_count"], row["total_usd"], oldest])
    return response


@permission_required(MANAGE_BILLING, raise_exception=True)
@require_http_methods(["GET"])
def outstanding(request: AuthenticatedHttpRequest) -> HttpResponse:
    page_obj = Paginator(selectors.outstanding_by_bill_to(), STATEMENT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "billing/outstanding.html",
        {
            "page_obj": page_obj,
            "rows": page_obj.object_list,
            "totals": selectors.outstanding_total(),
            "invoices_url": reverse("billing:invoice_list"),
        },
    )
