"""Visit REST routes, namespace `visits-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from workorders.visits.api import views

app_name = "visits-api"

router = SimpleRouter()
router.register("visits", views.VisitViewSet, basename="visit")
router.register("visit-photos", views.VisitPhotoViewSet, basename="visit-photo")

urlpatterns = router.urls
