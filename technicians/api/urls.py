"""technicians REST routes, namespace `technicians-api`, included under /api/v1/ by rollout.api.urls."""

from rest_framework.routers import SimpleRouter

from technicians.api import views

app_name = "technicians-api"

router = SimpleRouter()
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("skills", views.SkillViewSet, basename="skill")
router.register("technicians", views.TechnicianViewSet, basename="technician")
router.register("certifications", views.CertificationViewSet, basename="certification")
router.register("time-off", views.TimeOffViewSet, basename="time-off")
router.register("courses", views.CourseViewSet, basename="course")
router.register("training-records", views.TrainingRecordViewSet, basename="training-record")

urlpatterns = router.urls
