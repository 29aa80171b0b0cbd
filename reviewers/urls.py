from django.urls import path

from reviewers import views

app_name = "reviewers"

urlpatterns = [
    path("", views.reviewer_list, name="reviewer_list"),
    path("cases/<int:case_id>/candidates/", views.case_candidates, name="case_candidates"),
]
