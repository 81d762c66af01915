from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self):
        from scheduling import services  # noqa: F401 - registers the schedule run's job kind
