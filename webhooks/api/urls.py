"""webhooks REST routes, namespace `webhooks-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from webhooks.api import views

app_name = "webhooks-api"

router = SimpleRouter()
router.register("webhook-endpoints", views.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
