from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/", views.report_index, name="index"),
    path("reports/<slug:kind>/", views.report_page, name="report"),
    path("reports/<slug:kind>.csv", views.report_csv, name="report_csv"),
]
