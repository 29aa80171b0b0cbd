from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "IMR cases"

    def ready(self) -> None:
        # Registers the app's outbox job kinds (core.outbox).
        from cases import jobs  # noqa: F401
