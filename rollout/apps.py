from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = "Tutti platform"

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        # Registers the OpenAPI extension for API token authentication.
        from rollout.api import schema  # noqa: F401
        from rollout.rls import post_migrate_apply, rls_detect

        post_migrate.connect(post_migrate_apply, sender=self, dispatch_uid="rollout.rls")
        from rollout.audit_display import audit_link_register

        audit_link_register("rollout.membership", "core:member-edit")
        connection_created.connect(rls_detect, dispatch_uid="rollout.rls_detect")
