"""File downloads through the API: any `Accept` gets the file; errors still come back as JSON."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.negotiation import DefaultContentNegotiation

FILE_RESPONSE = {(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")}


class FileNegotiation(DefaultContentNegotiation):
    """File downloads answer with the file whatever `Accept` says; errors still come back as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def export_schema_parts() -> dict:
    """The `format` parameter and the two file responses every export operation documents (sites, the lists)."""
    from drf_spectacular.utils import OpenApiParameter

    from rollout.exporting import EXPORT_FORMATS, XLSX_CONTENT_TYPE

    return {
        "parameters": [
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=list(EXPORT_FORMATS), default="csv", description="File format."
            )
        ],
        "responses": {
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV, UTF-8 with a BOM."),
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="Excel workbook."),
        },
    }
