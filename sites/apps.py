from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"

    def ready(self):
        # Registers the durable job kind of import commits.
        from sites import services  # noqa: F401
