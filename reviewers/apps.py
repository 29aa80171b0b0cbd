from django.apps import AppConfig


class ReviewersConfig(AppConfig):
    name = "reviewers"
    verbose_name = "Physician reviewers"

    def ready(self) -> None:
        # Registers what happens when a case enters a state (cases.hooks): enqueue the
        # assignment, end assignments. Runs before the determinations app's hooks.
        from reviewers import hooks, jobs  # noqa: F401
