from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"

    def ready(self):
        from escalations import events  # noqa: F401 - registers the event types
        from escalations.panels import register_panels

        register_panels()
