from django.urls import path

from determinations import views

app_name = "letters"

urlpatterns = [
    path("to-post/", views.to_post, name="to_post"),
    path("to-post/batch.pdf", views.to_post_batch, name="to_post_batch"),
    path("cases/<str:case_number>/deliveries/", views.case_deliveries, name="case_deliveries"),
    path("deliveries/<int:delivery_id>/resend/", views.resend, name="resend"),
    path("letters/<int:letter_id>/download/", views.download_letter, name="download"),
]
