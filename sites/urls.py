"""sites pages, namespace `sites`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from sites import views

app_name = "sites"

urlpatterns = [
    path("sites/", views.SiteListView.as_view(), name="sites"),
    path("sites/export/", views.SiteExportView.as_view(), name="sites-export"),
    path("sites/imports/", views.SiteImportListView.as_view(), name="site-imports"),
    path("sites/imports/template.csv", views.SiteImportTemplateView.as_view(), name="site-import-template"),
    path("sites/imports/<int:pk>/", views.SiteImportDetailView.as_view(), name="site-import-page"),
    path("sites/imports/<int:pk>/status/", views.SiteImportStatusView.as_view(), name="site-import-status"),
    path("sites/imports/<int:pk>/commit/", views.SiteImportCommitView.as_view(), name="site-import-confirm"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site-page"),
]
