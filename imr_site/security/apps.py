from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "imr_site.security"
    label = "imr_security"
    verbose_name = "Security"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from imr_site.security.sessions import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="imr_security_session_clock")
