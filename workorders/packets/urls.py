"""Packet REST routes, included under /api/v1/ by rollout.api.urls. Basenames end in -api so that route
names never clash with the packet pages' (packet-pdf, packet-acknowledge, …)."""

from rest_framework.routers import SimpleRouter

from workorders.packets import api

router = SimpleRouter()
router.register("packets", api.PacketViewSet, basename="packet-api")
router.register("packet-jobs", api.PacketGenerationJobViewSet, basename="packet-job-api")

urlpatterns = router.urls
