from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"

    def ready(self):
        from programs.selectors import programs_overview
        from rollout.choices import STAFF_ROLES, Role
        from rollout.homes import home_register

        # The staff and client homes show the programs the caller may see.
        home_register(key="programs.overview", roles={*STAFF_ROLES, Role.CLIENT}, context=programs_overview)
