from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self):
        from rollout.audit_display import audit_link_register
        from scheduling import services  # noqa: F401 - registers the schedule run's job kind

        audit_link_register("scheduling.schedulerun", "scheduling:schedule-run-detail")
        from rollout.choices import Role
        from rollout.homes import profile_link_register

        profile_link_register(
            key="scheduling.calendar_feed",
            roles={Role.TECHNICIAN},
            label="Calendar feed",
            description="Your visits in Google Calendar, Apple Calendar or Outlook.",
            icon="calendar-week",
            url_name="scheduling:calendar-feed",
        )
