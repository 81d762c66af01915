"""sites pages, included under /o/<org>/ by rollout.web_urls. (The API's router names `site-*` too, so the
page names differ: `sites`, `site-page`, `site-import-page`…)"""

from django.urls import path

from sites import views

urlpatterns = [
    path("sites/", views.SiteListView.as_view(), name="sites"),
    path("sites/export/", views.SiteExportView.as_view(), name="sites-export"),
    path("sites/imports/", views.SiteImportListView.as_view(), name="site-imports"),
    path("sites/imports/<int:pk>/", views.SiteImportDetailView.as_view(), name="site-import-page"),
    path("sites/imports/<int:pk>/status/", views.SiteImportStatusView.as_view(), name="site-import-status"),
    path("sites/imports/<int:pk>/commit/", views.SiteImportCommitView.as_view(), name="site-import-confirm"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site-page"),
]
