"""dashboards pages, included under /o/<org>/ by rollout.urls (namespace "dashboards")."""

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("programs/<int:pk>/dashboard/", views.ProgramDashboardView.as_view(), name="program-dashboard"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("portal/programs/<int:pk>/", views.ClientProgramView.as_view(), name="client-program"),
    path("portal/programs/<int:pk>/sites/<int:site>/", views.ClientSiteView.as_view(), name="client-site"),
    path("programs/<int:pk>/report.pdf", views.ProgramReportView.as_view(), name="program-report"),
    path("exports/<slug:list>/", views.ListExportView.as_view(), name="list-export"),
]
