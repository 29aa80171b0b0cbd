from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queues, name="queues"),
    path("new/", views.intake, name="intake"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/steps/<slug:action>/", views.case_action, name="action"),
]
