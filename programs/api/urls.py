"""programs REST routes, namespace `programs-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from programs.api import views

app_name = "programs-api"

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="program")
router.register("waves", views.WaveViewSet, basename="wave")
router.register("sows", views.SowViewSet, basename="sow")
router.register("sow-tasks", views.SowTaskViewSet, basename="sow-task")
router.register("sow-materials", views.SowMaterialViewSet, basename="sow-material")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("program-attributes", views.ProgramAttributeViewSet, basename="program-attribute")
router.register("site-variations", views.SiteVariationViewSet, basename="site-variation")
router.register(
    "program-course-requirements", views.ProgramCourseRequirementViewSet, basename="program-course-requirement"
)

urlpatterns = router.urls
