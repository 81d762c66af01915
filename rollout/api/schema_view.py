"""GET /api/schema/: the OpenAPI document, generated once per process and format.

Generating it walks every view and serializer (about 1.5 s of CPU); it changes only with a deploy, which starts new
processes, so each process keeps what it rendered. The anonymous rate limit applies as to any API view, keyed on
the trusted-proxy client address (rollout.client_address)."""

from __future__ import annotations

import threading

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView

_rendered: dict[tuple, tuple[bytes, str, str]] = {}
_lock = threading.Lock()


class CachedSpectacularAPIView(SpectacularAPIView):
    """drf-spectacular's schema view, with the rendered document kept per (format, version, language).

    Public and the same for everyone: no authentication is attempted (a bad token cannot skip the rate limit)."""

    authentication_classes = []

    def _cache_key(self, request) -> tuple:
        return (
            request.accepted_media_type,
            request.GET.get("version"),
            request.GET.get("lang"),
        )

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        cached = _rendered.get(self._cache_key(request))
        if cached is not None:
            content, content_type, disposition = cached
            return HttpResponse(content, content_type=content_type, headers={"Content-Disposition": disposition})
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and hasattr(response, "render"):
            response.render()
            with _lock:
                _rendered[self._cache_key(request)] = (
                    response.content,
                    response["Content-Type"],
                    response.get("Content-Disposition", ""),
                )
        return response


def schema_cache_clear() -> None:
    """Forget the rendered documents (tests that change the API's settings)."""
    with _lock:
        _rendered.clear()
