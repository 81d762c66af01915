from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self):
        from rollout.audit_display import audit_link_register
        from scheduling import services  # noqa: F401 - registers the schedule run's job kind

        audit_link_register("scheduling.schedulerun", "scheduling:schedule-run-detail")
