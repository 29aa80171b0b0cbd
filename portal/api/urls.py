"""`/api/v1/`: the organizations' API and its OpenAPI schema. No session log-in: each view
authenticates the organization's token (hence login_not_required for the site's middleware)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from portal.api import views

app_name = "api"

schema_view = SpectacularAPIView.as_view(
    api_version="1",
    authentication_classes=[],
    permission_classes=[AllowAny],
    renderer_classes=SpectacularAPIView.renderer_classes,
)

urlpatterns = [
    path("schema/", login_not_required(schema_view), name="schema"),
    path("cases", login_not_required(views.CasesView.as_view()), name="cases"),
    path("cases/<str:case_number>", login_not_required(views.CaseView.as_view()), name="case"),
    path(
        "cases/<str:case_number>/documents",
        login_not_required(views.DocumentsView.as_view()),
        name="documents",
    ),
    path("cases/<str:case_number>/letter.pdf", login_not_required(views.LetterView.as_view()), name="letter"),
]
