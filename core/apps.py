from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The floor under every app: one-time form tokens, method checks and error pages."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"
