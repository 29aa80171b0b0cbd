from django.apps import AppConfig


class DeterminationsConfig(AppConfig):
    name = "determinations"
    verbose_name = "Determinations and letters"

    def ready(self) -> None:
        # Registers what happens when a case enters a state (cases.hooks): supersede the
        # determination on a remand. Runs after the reviewers app's hooks (INSTALLED_APPS order).
        from cases.sections import register_case_section
        from determinations import hooks, jobs  # noqa: F401
        from determinations.correspondence import correspondence_section
        from determinations.services import notices  # noqa: F401 (registers the notice sender)

        register_case_section(correspondence_section)
