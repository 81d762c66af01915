from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"

    def ready(self):
        # Registers the durable job kind of import commits.
        from rollout.audit_display import audit_link_register
        from sites import services  # noqa: F401

        audit_link_register("sites.site", "sites:site-page")
