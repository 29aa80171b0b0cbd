from django.urls import path

from cases import document_views

app_name = "documents"

urlpatterns = [
    path("<int:document_id>/", document_views.document, name="document"),
]
