from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self):
        # Declares the QA decision's event types (rollout.events), so that every process knows them.
        from quality import (
            contributions,
            events,  # noqa: F401
        )
        from quality.receivers import drft_on_work_order_transition
        from workorders.signals import work_order_transitioned

        work_order_transitioned.connect(drft_on_work_order_transition, dispatch_uid="quality.drft_on_transition")
        contributions.register()
