from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    verbose_name = "Decision library"

    def ready(self) -> None:
        # Registers into the lower apps' registries (no queries here):
        # - cases.hooks: publish a determination when its case enters determination_issued,
        #   withdraw it from the library when an issued case is remanded;
        # - determinations.panels: the precedent panel beside each item of the decision form.
        from library import hooks, jobs, panels  # noqa: F401
