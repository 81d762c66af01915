from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "workorders"

    def ready(self):
        # Registers the durable job kinds (packet generation) and the packet render sweeper.
        from workorders.packets import services  # noqa: F401
