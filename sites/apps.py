from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"

    def ready(self):
        # Registers the durable job kinds of imports: the commit (services) and the dry run (import_jobs).
        from rollout.audit_display import audit_link_register
        from sites import services  # noqa: F401

        audit_link_register("sites.site", "sites:site-page")
        audit_link_register("sites.siteimport", "sites:site-import-page")
