from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.invoice_list, name="invoice_list"),
    path("issue/", views.issue, name="issue"),
    path("outstanding/", views.outstanding, name="outstanding"),
    path("outstanding/csv/", views.outstanding_csv, name="outstanding_csv"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/paid/", views.mark_paid, name="mark_paid"),
    path("invoices/<int:invoice_id>/posted/", views.mark_posted, name="mark_posted"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/csv/", views.invoice_csv, name="invoice_csv"),
]
