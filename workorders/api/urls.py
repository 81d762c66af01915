"""workorders REST routes, namespace `workorders-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from workorders.api import views

app_name = "workorders-api"

router = SimpleRouter()
router.register("work-orders", views.WorkOrderViewSet, basename="work-order")
router.register("shipments", views.ShipmentViewSet, basename="shipment")

urlpatterns = router.urls
