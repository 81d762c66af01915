"""Visit REST routes, included under /api/v1/ by rollout.api.urls. Basenames end in -api so that route names
never clash with the visit pages' (visit-photo, visit-signature, …)."""

from rest_framework.routers import SimpleRouter

from workorders.visits import api

router = SimpleRouter()
router.register("visits", api.VisitViewSet, basename="visit-api")
router.register("visit-photos", api.VisitPhotoViewSet, basename="visit-photo-api")

urlpatterns = router.urls
