from django.contrib import admin
from django.urls import include, path

from cases import urls as case_urls
from core import jobs_views
from core.health_views import healthz
from exchange import urls as exchange_urls
from imr_site import views

admin.site.site_header = "IMR case management"
admin.site.site_title = "IMR admin"
admin.site.index_title = "Intake and administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Log-in, the second factor, log-out and the session's keep-alive (imr_site.security).
    path("accounts/", include("imr_site.security.urls")),
    path("admin/", admin.site.urls),
    # The intake page is exchange's (it writes through the importer) but keeps its address and
    # name among the staff case pages: /cases/new/, "cases:intake".
    path("cases/", include((exchange_urls.urlpatterns + case_urls.urlpatterns, "cases"))),
    path("review/", include("determinations.review_urls")),
    path("reviewers/", include("reviewers.urls")),
    path("letters/", include("determinations.urls")),
    path("documents/", include("cases.document_urls")),
    path("jobs/", jobs_views.jobs, name="jobs"),
    path("jobs/<int:job_id>/", jobs_views.job_action, name="job_action"),
    # The public decision library: no login (the only such pages besides the login page).
    path("decisions/", include("library.urls")),
    # Fees and invoices to claims administrators (administrators only).
    path("billing/", include("billing.urls")),
    # The parties: organizations' users, per-party links, staff's new-records queue; the API.
    path("portal/", include("portal.urls")),
    path("api/v1/", include("portal.api.urls")),
    # The operations dashboard (/dashboard/) and the reports (/reports/).
    path("", include("reports.urls")),
]

# Error pages in the site's layout (core.views); Django has no 405 handler: core.http renders it.
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
