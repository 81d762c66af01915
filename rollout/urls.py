"""Top-level URLs: the browser UI (organization pages under /o/<org>/), the REST API and health.

Every app's pages are namespaced by its `app_name` (`programs:program-detail`), its API routes by `<app>-api`
(`programs-api:program-list`); see docs/architecture.md. The core, the field app and the calendar feeds also have
pages outside /o/<org>/ (sign-in, the service worker, a technician's feed), so their modules are included at the
root and nest /o/<org>/ themselves where they need it."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from rollout.api.schema_view import CachedSpectacularAPIView
from rollout.views.health import healthz

ORG = "o/<slug:org>/"  # every organization's pages

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("rollout.api.urls")),
    path("api/schema/", CachedSpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (Content Security Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("rollout.web_urls")),
    path("", include("workorders.field.urls")),
    path("", include("scheduling.feed_urls")),
    path(ORG, include("programs.urls")),
    path(ORG, include("sites.urls")),
    path(ORG, include("technicians.urls")),
    path(ORG, include("workorders.packets.urls")),
    path(ORG, include("workorders.visits.urls")),
    path(ORG, include("workorders.urls")),
    path(ORG, include("quality.urls")),
    path(ORG, include("escalations.urls")),
    path(ORG, include("dashboards.urls")),
    path(ORG, include("notifications.urls")),
    path(ORG, include("webhooks.urls")),
    path(ORG, include("scheduling.urls")),
]
