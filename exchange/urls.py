"""The intake page. It keeps its address and name in the staff case pages: imr_site/urls.py
joins these patterns into the `cases` namespace under `/cases/` (`/cases/new/`, `cases:intake`)."""

from django.urls import path

from exchange import views

urlpatterns = [
    path("new/", views.intake, name="intake"),
]
