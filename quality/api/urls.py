"""quality REST routes, namespace `quality-api`, included under /api/v1/ by rollout.api.urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from quality.api import views

app_name = "quality-api"

router = SimpleRouter()
router.register("qa-queue", views.ReviewQueueViewSet, basename="qa-queue")
router.register("qa-reviews", views.QaReviewViewSet, basename="qa-review")
router.register("defect-codes", views.DefectCodeViewSet, basename="defect-code")
router.register("warranty-reports", views.WarrantyReportViewSet, basename="warranty-report")
router.register("drft-exclusions", views.DrftExclusionViewSet, basename="drft-exclusion")
router.register("sampling-policies", views.SamplingPolicyViewSet, basename="sampling-policy")

urlpatterns = [
    path("drft-metrics/", views.DrftMetricsView.as_view(), name="drft-metrics"),
    path("scorecards/<int:technician_id>/", views.ScorecardView.as_view(), name="scorecard"),
    *router.urls,
]
