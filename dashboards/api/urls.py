"""dashboards REST routes, namespace `dashboards-api`, included under /api/v1/ by rollout.api.urls."""

from django.urls import path

from dashboards.api import views

app_name = "dashboards-api"

urlpatterns = [
    path("program-dashboards/<int:program_id>/", views.ProgramDashboardView.as_view(), name="program-dashboard"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
]
