from django.apps import AppConfig, apps
from django.db import DEFAULT_DB_ALIAS


def sync_role_groups(sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """After `migrate`, the role groups hold exactly the permissions imr_site.roles gives them.

    A release that grants a role a new permission (a new app's pages, say) reaches a database
    made by an earlier release here, not only in a fresh one. Django sends post_migrate once per
    app with models, after auth made that app's permissions: the last one is when all exist."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if using != DEFAULT_DB_ALIAS or not with_models or sender is not with_models[-1]:
        return
    from imr_site import roles

    roles.ensure_role_groups()


class SecurityConfig(AppConfig):
    name = "imr_site.security"
    label = "imr_security"
    verbose_name = "Security"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from imr_site.security.sessions import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="imr_security_session_clock")
        post_migrate.connect(sync_role_groups, dispatch_uid="imr_security_sync_role_groups")
