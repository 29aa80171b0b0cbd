from django.urls import path

from determinations import review_views

app_name = "review"

urlpatterns = [
    path("", review_views.reviewer_home, name="reviewer_home"),
    path("cases/<int:case_id>/", review_views.case_file, name="case_file"),
    path("cases/<int:case_id>/accept/", review_views.accept, name="accept"),
    path("cases/<int:case_id>/decline/", review_views.decline, name="decline"),
    path("cases/<int:case_id>/determination/", review_views.save_draft, name="save_draft"),
    path("cases/<int:case_id>/determination/preview/", review_views.preview, name="preview"),
    path("cases/<int:case_id>/determination/submit/", review_views.submit, name="submit"),
    path("qa/", review_views.qa_queue, name="qa_queue"),
    path("qa/determinations/<int:determination_id>/", review_views.qa_determination, name="qa_determination"),
    path("qa/determinations/<int:determination_id>/approve/", review_views.qa_approve, name="qa_approve"),
    path("qa/determinations/<int:determination_id>/return/", review_views.qa_return, name="qa_return"),
]
