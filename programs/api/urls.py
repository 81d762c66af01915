"""programs REST routes, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
