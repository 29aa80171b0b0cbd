from django.contrib.auth import views as auth_views
from django.urls import path

from imr_site.security import views
from imr_site.security.middleware import second_factor_exempt

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    # POST only (Django's LogoutView): the session is flushed on the server.
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("second-factor/", views.second_factor, name="second_factor"),
    path("second-factor/setup/", views.second_factor_setup, name="second_factor_setup"),
    path("second-factor/setup/qr.svg", views.second_factor_qr, name="second_factor_qr"),
    path("second-factor/backup-codes/", views.backup_codes, name="second_factor_backup_codes"),
    path("session/keepalive/", views.keepalive, name="session_keepalive"),
]
