from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The floor under every app: form tokens, method checks, error pages, the outbox, health."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # The outbox's figure on /healthz (the oldest due row's age), after core's own checks.
        from core import outbox_health  # noqa: F401
