from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        # The catalogue is complete once every emitting app's services are imported (they declare their types).
        from notifications.services import notifications_consumer
        from rollout.events import event_consumer_register

        event_consumer_register(notifications_consumer)
