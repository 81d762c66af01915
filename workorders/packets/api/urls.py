"""Packet REST routes, namespace `packets-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from workorders.packets.api import views

app_name = "packets-api"

router = SimpleRouter()
router.register("packets", views.PacketViewSet, basename="packet")
router.register("packet-jobs", views.PacketGenerationJobViewSet, basename="packet-job")

urlpatterns = router.urls
