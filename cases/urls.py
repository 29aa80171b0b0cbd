from django.urls import path

from cases import views

app_name = "cases"

# `/cases/new/` (the intake page, `cases:intake`) is exchange's: imr_site/urls.py adds it here.

urlpatterns = [
    path("", views.queues, name="queues"),
    path("search/", views.search, name="search"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/steps/<slug:action>/", views.case_action, name="action"),
]
