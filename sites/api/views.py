"""API views of the sites app: sites (with export), site contacts, and bulk site imports."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from rollout.api.base import NO_PUT, OrgGenericViewSet, OrgServiceViewSet, ServiceCreateMixin
from rollout.api.files import export_schema_parts
from rollout.api.parsers import StrictJSONParser
from rollout.choices import FULL_READ_ROLES, PLANNER_OR_INTEGRATOR, Role
from rollout.exporting import download_response
from rollout.models import Client
from sites import exporting, services
from sites.api import serializers as s
from sites.contributions import site_filterset
from sites.filtersets import SiteContactFilterSet, SiteImportFilterSet
from sites.models import Site, SiteContact, SiteImport
from sites.selectors import SITE_ORDERING_FIELDS

SITE_READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
EXPORT_FORMATS = {"csv": "text/csv", "xlsx": exporting.XLSX_CONTENT_TYPE}
LOCATIONS_LIMIT = 20_000  # one map's worth; more is a sign the caller wants the paginated list


class SiteLocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    lat = serializers.FloatField(help_text="Latitude, WGS 84.")
    lng = serializers.FloatField(help_text="Longitude, WGS 84.")
    wave = serializers.IntegerField(
        allow_null=True,
        help_text="Id of the site's wave in the program named by `?program=` (null: in no wave, or no program given).",
    )


class SiteLocationsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Sites listed in `results` (those with coordinates).")
    without_coordinates = serializers.IntegerField(help_text="Matching sites left out because they have no position.")
    truncated = serializers.BooleanField(help_text=f"True when more than {LOCATIONS_LIMIT:,} sites matched.")
    results = SiteLocationSerializer(many=True)


class ExportNegotiation(DefaultContentNegotiation):
    """`?format=csv|xlsx` names the export's file format here, not a DRF renderer: answer (and fail) in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(summary="List sites", description="Client viewers see only their own client's sites."),
    retrieve=extend_schema(summary="Get a site"),
    create=extend_schema(summary="Create a site"),
    update=extend_schema(summary="Replace a site's details"),
    partial_update=extend_schema(summary="Change some of a site's details"),
    destroy=extend_schema(
        summary="Delete a site", description="Refused (409 site_in_use) once other records use the site."
    ),
)
class SiteViewSet(OrgServiceViewSet):
    """Sites (client locations): staff, integrators and client viewers (their own) read; PMs and integrators write."""

    queryset = Site.objects.select_related("client").prefetch_related("contacts")
    serializer_class = s.SiteSerializer
    search_fields = ["code", "name", "city", "address_line1", "postal_code"]
    ordering_fields = list(SITE_ORDERING_FIELDS)
    ordering = ["code", "id"]
    roles = {"read": SITE_READ_ROLES, "write": PLANNER_OR_INTEGRATOR}
    http_method_names = [*NO_PUT, "put"]
    create_input, create_service = s.SiteInputSerializer, services.site_create
    update_input, update_service = s.SiteInputSerializer, services.site_update
    delete_service = services.site_delete

    @property
    def filterset_class(self):
        return site_filterset()  # SiteFilterSet, extended by the programs app (sites.contributions)

    @extend_schema(summary="Deactivate a site", request=None, responses=s.SiteSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        site = self.get_object()
        return self.output(services.site_deactivate(**self.service_kwargs(), site_id=site.pk))

    @extend_schema(summary="Reactivate a site", request=None, responses=s.SiteSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        site = self.get_object()
        return self.output(services.site_activate(**self.service_kwargs(), site_id=site.pk))

    @extend_schema(
        summary="Site positions for a map",
        description=(
            "Compact rows (id, code, name, city, state, lat, lng, wave) of the sites the list would show — same "
            "filters, search and ordering, not paginated, at most "
            f"{LOCATIONS_LIMIT:,} — for drawing them on a map. Sites without coordinates are counted in "
            "`without_coordinates`, not listed. With `?program=<id>` each row carries the site's wave in that "
            "program, e.g. `GET /api/v1/sites/locations/?program=7` for a program's map."
        ),
        filters=True,
        responses=SiteLocationsSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def locations(self, request):
        queryset = self.filter_queryset(self.get_queryset()).prefetch_related(None).select_related(None)
        waved = self.filterset_class.locations_wave(queryset, request.query_params)
        wave_field = None if waved is None else "wave_id"
        queryset = queryset if waved is None else waved
        placed = queryset.filter(latitude__isnull=False, longitude__isnull=False)
        fields = ["pk", "code", "name", "city", "state", "latitude", "longitude"]
        rows = list(placed.values_list(*fields, *([wave_field] if wave_field else []))[: LOCATIONS_LIMIT + 1])
        results = [
            {
                "id": row[0],
                "code": row[1],
                "name": row[2],
                "city": row[3],
                "state": row[4],
                "lat": float(row[5]),
                "lng": float(row[6]),
                "wave": row[7] if wave_field else None,
            }
            for row in rows[:LOCATIONS_LIMIT]
        ]
        body = {
            "count": len(results),
            "without_coordinates": queryset.filter(latitude__isnull=True).count(),
            "truncated": len(rows) > LOCATIONS_LIMIT,
            "results": results,
        }
        return Response(body)  # plain data: the serializer documents the shape; 20,000 rows need no per-field work

    @extend_schema(
        summary="Export sites",
        description=(
            "The sites the list would show (same filters, search and ordering; not paginated) as a file with the "
            "import's columns: importing it back changes nothing. Text cells that a spreadsheet would run as a "
            "formula (starting with = + - @ tab or CR) are prefixed with a quote."
        ),
        filters=True,
        **export_schema_parts(),
    )
    @action(detail=False, methods=["get"], content_negotiation_class=ExportNegotiation, pagination_class=None)
    def export(self, request):
        file_format = request.query_params.get("format", "csv").lower()
        if file_format not in EXPORT_FORMATS:
            raise serializers.ValidationError({"format": "Choose csv or xlsx."})
        queryset = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        client_id = request.query_params.get("client")
        client = (
            Client.objects.visible_to(self.access).filter(pk=client_id).first()
            if client_id and client_id.isdigit()
            else None
        )
        filename = exporting.export_filename(
            self.access.organization.slug, client.code if client else None, file_format, timezone.localdate()
        )
        return download_response(
            file_format=file_format,
            filename=filename,
            csv_chunks=exporting.csv_stream(queryset),
            xlsx=lambda: exporting.xlsx_file(queryset),
        )


@extend_schema_view(
    list=extend_schema(summary="List site contacts"),
    retrieve=extend_schema(summary="Get a site contact"),
    create=extend_schema(summary="Add a contact to a site"),
    partial_update=extend_schema(summary="Change a contact"),
    destroy=extend_schema(summary="Remove a contact"),
)
class SiteContactViewSet(OrgServiceViewSet):
    """People to call about a site. Readable with the site; PMs and integrators write. One primary per site."""

    queryset = SiteContact.objects.select_related("site")
    serializer_class = s.SiteContactSerializer
    filterset_class = SiteContactFilterSet
    search_fields = ["name", "role", "email", "phone"]
    ordering_fields = ["name", "created_at"]
    ordering = ["site_id", "-is_primary", "name", "id"]
    roles = {"read": SITE_READ_ROLES, "write": PLANNER_OR_INTEGRATOR}
    create_input, create_service = s.SiteContactInputSerializer, services.site_contact_add
    update_input, update_service = s.SiteContactUpdateInputSerializer, services.site_contact_update
    delete_service = services.site_contact_remove
    id_name = "contact_id"


class SiteImportIssuePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = s.SiteImportIssueSerializer(many=True)


@extend_schema_view(
    list=extend_schema(summary="List site imports"),
    retrieve=extend_schema(
        summary="Get a site import",
        description="Status, progress (rows_done of rows_total), the problem count and what the commit does.",
    ),
    create=extend_schema(
        summary="Upload a site file",
        description=(
            "Multipart upload of a CSV (UTF-8) or XLSX file for one client. Answers 202 at once; the dry run "
            "runs in the background: poll the import until its status is `validated`, then read `errors` or "
            "`commit`. Columns: code and name (required), client, address1, address2, city, state, postal_code, "
            "country, latitude, longitude, timezone, access_hours (`mon-fri 06:00-22:00; sat 08:00-20:00`), "
            "blackout_dates (`2026-12-24;2026-12-25`), status, and `attr:<name>` or `attr:<name>:<type>` "
            "(str, int, float, bool) for attributes."
        ),
        request={"multipart/form-data": s.SiteImportCreateInputSerializer},
    ),
)
class SiteImportViewSet(ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Bulk site imports: upload (dry run in the background), read the problems, commit all-or-nothing."""

    queryset = SiteImport.objects.select_related("client")
    serializer_class = s.SiteImportSerializer
    filterset_class = SiteImportFilterSet
    search_fields = ["original_filename"]
    ordering_fields = ["created_at", "status"]
    ordering = ["-created_at", "-id"]
    roles = {"read": PLANNER_OR_INTEGRATOR, "write": PLANNER_OR_INTEGRATOR}
    parser_classes = [MultiPartParser, FormParser, StrictJSONParser]
    create_input, create_service = s.SiteImportCreateInputSerializer, services.site_import_create
    create_status = status.HTTP_202_ACCEPTED  # the dry run runs in the background

    @extend_schema(
        summary="Commit a checked import",
        description=(
            "Writes every row or none, in the background (202; poll the import until `committed` or `failed`). "
            "Refused with 409 while the dry run runs (`import_not_ready`), when it found problems "
            "(`import_has_errors`) or after a failure (`import_failed`). Asking again while it commits is harmless."
        ),
        request=None,
        responses={202: s.SiteImportSerializer},
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        site_import = self.get_object()
        site_import = services.site_import_commit(**self.service_kwargs(), import_id=site_import.pk)
        return self.output(site_import, status_code=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="List an import's problems",
        description="Every problem the dry run (or the commit's re-check) found, by row and column, in file order.",
        filters=False,
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description="Page number."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Problems per page (at most 200)."),
        ],
        responses=SiteImportIssuePageSerializer,
    )
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        site_import = self.get_object()
        page = self.paginate_queryset(site_import.errors or [])
        return self.get_paginated_response(s.SiteImportIssueSerializer(page, many=True).data)
