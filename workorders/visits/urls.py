"""Visit REST routes, namespace `visits-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from workorders.visits import api

app_name = "visits-api"

router = SimpleRouter()
router.register("visits", api.VisitViewSet, basename="visit")
router.register("visit-photos", api.VisitPhotoViewSet, basename="visit-photo")

urlpatterns = router.urls
