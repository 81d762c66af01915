from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"

    def ready(self):
        from dashboards.selectors import client_portal_home
        from rollout.choices import Role
        from rollout.homes import home_register

        # The client viewer's home: each of their programs' progress, schedule and quality (read-only).
        home_register(key="dashboards.client_portal", roles={Role.CLIENT}, context=client_portal_home)
