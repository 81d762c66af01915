from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = "Tutti platform"

    def ready(self):
        # Registers the OpenAPI extension for API token authentication.
        from rollout.api import schema  # noqa: F401
