from django.urls import path, register_converter

from cases.converters import CaseNumberConverter
from determinations import views

app_name = "letters"

register_converter(CaseNumberConverter, "case_number")

urlpatterns = [
    path("to-post/", views.to_post, name="to_post"),
    path("to-post/batch.pdf", views.to_post_batch, name="to_post_batch"),
    path("to-post/batches/", views.post_batch_request, name="post_batch_request"),
    path("to-post/batches/<int:batch_id>/", views.post_batch, name="post_batch"),
    path("to-post/batches/<int:batch_id>/download/", views.post_batch_download, name="post_batch_download"),
    path(
        "determinations/<int:determination_id>/letter-status/",
        views.letter_status,
        name="letter_status",
    ),
    path("cases/<case_number:case_number>/deliveries/", views.case_deliveries, name="case_deliveries"),
    path("deliveries/<int:delivery_id>/resend/", views.resend, name="resend"),
    path("letters/<int:letter_id>/download/", views.download_letter, name="download"),
    path(
        "cases/<case_number:case_number>/notices/<slug:kind>/preview/",
        views.notice_preview,
        name="notice_preview",
    ),
    path("notices/<int:notice_id>/download/", views.download_notice, name="notice_download"),
]
