"""sites REST routes, namespace `sites-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from sites.api import views

app_name = "sites-api"

router = SimpleRouter()
router.register("sites", views.SiteViewSet, basename="site")
router.register("site-contacts", views.SiteContactViewSet, basename="site-contact")
router.register("site-imports", views.SiteImportViewSet, basename="site-import")

urlpatterns = router.urls
