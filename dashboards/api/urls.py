"""dashboards REST routes, namespace `dashboards-api`, included under /api/v1/ by rollout.api.urls."""

from django.urls import path

from dashboards.api import views

app_name = "dashboards-api"

urlpatterns = [
    path("program-dashboards/<int:program_id>/", views.ProgramDashboardView.as_view(), name="program-dashboard"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("program-reports/<int:program_id>/", views.ProgramReportView.as_view(), name="program-report"),
    path("exports/work-orders/", views.WorkOrderExportViewSet.as_view({"get": "export"}), name="export-work-orders"),
    path("exports/visits/", views.VisitExportViewSet.as_view({"get": "export"}), name="export-visits"),
    path("exports/defects/", views.DefectExportViewSet.as_view({"get": "export"}), name="export-defects"),
    path("exports/escalations/", views.EscalationExportViewSet.as_view({"get": "export"}), name="export-escalations"),
]
