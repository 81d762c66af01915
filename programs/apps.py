from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"

    def ready(self):
        from rollout.audit_display import audit_link_register

        audit_link_register("programs.program", "programs:program-detail")
        audit_link_register("programs.sow", "programs:sow-detail")
        audit_link_register("programs.sowtask", "programs:sow-detail", via="sow")
        audit_link_register("programs.sowmaterial", "programs:sow-detail", via="sow")
        audit_link_register("programs.programattribute", "programs:program-detail", via="program")
        from programs.filtersets import ProgramSiteFilterSet, enroll_programs_of
        from programs.selectors import programs_overview
        from rollout.choices import STAFF_ROLES, Role
        from rollout.homes import home_register
        from sites.contributions import import_programs_register, site_filterset_register

        # The staff and client homes show the programs the caller may see.
        home_register(key="programs.overview", roles={*STAFF_ROLES, Role.CLIENT}, context=programs_overview)
        # The sites list (page, export, API) filters by program and wave; a committed import offers programs.
        site_filterset_register(ProgramSiteFilterSet)
        import_programs_register(enroll_programs_of)
