from django.urls import path

from library import views

app_name = "library"

urlpatterns = [
    path("", views.decisions, name="decisions"),
    path("<str:case_number>/letter.pdf", views.redacted_letter, name="letter"),
]
