"""quality pages, included under /o/<org>/ by rollout.urls (namespace "quality")."""

from django.urls import path

from quality import views

app_name = "quality"

urlpatterns = [
    path("quality/", views.QualityHomeView.as_view(), name="home"),
    path("quality/drft/", views.DrftDrillView.as_view(), name="drill"),
    path("quality/reviews/", views.ReviewQueueView.as_view(), name="queue"),
    path("quality/reviews/<int:pk>/", views.ReviewView.as_view(), name="review"),
    path("quality/scorecards/me/", views.ScorecardView.as_view(), name="my-scorecard"),
    path("quality/scorecards/<int:pk>/", views.ScorecardView.as_view(), name="scorecard"),
    path("quality/defect-codes/", views.DefectCodeListView.as_view(), name="defect-codes"),
    path("quality/defect-codes/new/", views.DefectCodeFormView.as_view(), name="defect-code-create"),
    path("quality/defect-codes/<int:pk>/edit/", views.DefectCodeFormView.as_view(), name="defect-code-edit"),
    path("quality/exclusions/", views.ExclusionListView.as_view(), name="exclusions"),
    path("quality/exclusions/new/", views.ExclusionFormView.as_view(), name="exclusion-create"),
    path("quality/exclusions/<int:pk>/delete/", views.ExclusionDeleteView.as_view(), name="exclusion-delete"),
    path("quality/warranty/", views.WarrantyReportListView.as_view(), name="warranty-reports"),
    path("quality/warranty/new/", views.WarrantyReportFormView.as_view(), name="warranty-report-create"),
    path("quality/client/", views.ClientQualityView.as_view(), name="client-quality"),
    path("quality/sampling/", views.SamplingListView.as_view(), name="sampling"),
    path("quality/sampling/<int:pk>/", views.SamplingPolicyFormView.as_view(), name="sampling-edit"),
]
