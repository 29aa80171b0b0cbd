from django.urls import path

from determinations import review_views

app_name = "review"

urlpatterns = [
    path("", review_views.reviewer_home, name="reviewer_home"),
    path("qa/", review_views.qa_queue, name="qa_queue"),
]
