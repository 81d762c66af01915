from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self):
        from rollout.events import EventConsumer, event_consumer_register
        from webhooks import services

        event_consumer_register(EventConsumer(key="webhooks", handle_many=services.deliveries_record_many))
