"""Packet REST routes, namespace `packets-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from workorders.packets import api

app_name = "packets-api"

router = SimpleRouter()
router.register("packets", api.PacketViewSet, basename="packet")
router.register("packet-jobs", api.PacketGenerationJobViewSet, basename="packet-job")

urlpatterns = router.urls
