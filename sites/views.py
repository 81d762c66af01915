"""Pages of the sites app under /o/<org>/: the site list (filters, sorting, export), a site, and imports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import View
from django.views.generic.list import MultipleObjectMixin

from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, Role
from rollout.errors import ApplicationError
from rollout.exporting import download_response
from rollout.models import Client
from rollout.views.base import OrgDetailView, OrgListView, OrgPageMixin
from sites import exporting, selectors, services
from sites.choices import ImportStatus
from sites.contributions import import_programs, site_filterset
from sites.filtersets import SiteFilterSet
from sites.forms import SiteImportUploadForm, style_filter_form
from sites.models import Site, SiteImport

SITE_READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
IMPORT_ROLES = {"read": PLANNER_ROLES, "write": PLANNER_ROLES}
SORTABLE_COLUMNS = [
    ("code", "Code"),
    ("name", "Name"),
    ("city", "City"),
    ("state", "State / region"),
    ("status", "Status"),
    ("updated_at", "Updated"),
]
ERRORS_PER_PAGE = 50


class SitesPageMixin:
    """Sites pages: client viewers get the read-only portal shell, everyone else the staff shell."""

    roles = {"read": SITE_READ_ROLES, "write": PLANNER_ROLES}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = "layouts/portal.html" if self.access.role == Role.CLIENT else "layouts/staff.html"
        return context


def filtered_sites(view, queryset) -> tuple[SiteFilterSet, object]:
    """The list's FilterSet (the API's) bound to the request, and the sites it selects from the scoped
    `queryset`, sorted by `?sort=`."""
    queryset = queryset.select_related("client")
    filterset = site_filterset()(view.request.GET or None, queryset=queryset, request=view.request)
    valid = not filterset.is_bound or filterset.is_valid()
    sites = filterset.qs if valid else queryset.none()
    return filterset, sites.order_by(*selectors.site_ordering(view.request.GET.get("sort")))


def chosen(filterset, name: str):
    """The object a valid filter chose (a program, a wave), or None."""
    form = filterset.form
    if not filterset.is_bound or not form.is_valid():
        return None
    return form.cleaned_data.get(name)


class SiteListView(SitesPageMixin, OrgListView):
    """Sites with the API's filters, sorting, pagination and export buttons."""

    model = Site
    template_name = "sites/site_list.html"
    context_object_name = "sites"
    paginate_by = 50

    def get_queryset(self):
        self.filterset, sites = filtered_sites(self, super().get_queryset())
        form = self.filterset.form
        if self.access.role == Role.CLIENT:
            del form.fields["client"]
        style_filter_form(form)
        return sites

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        sort = self.request.GET.get("sort") or "code"
        columns = []
        for key, label in SORTABLE_COLUMNS:
            current = sort.lstrip("-") == key
            descending = current and sort.startswith("-")
            query["sort"] = f"-{key}" if current and not descending else key
            columns.append(
                {"label": label, "url": "?" + query.urlencode(), "current": current, "descending": descending}
            )
        query.pop("sort", None)
        if sort != "code":
            query["sort"] = sort
        map_program, map_wave = chosen(self.filterset, "program"), chosen(self.filterset, "wave")
        export_url = reverse("sites:sites-export", kwargs={"org": self.access.organization.slug})
        export_query = {key: value for key, value in query.items() if key in (*self.filterset.form.fields, "sort")}
        context.update(
            filterset=self.filterset,
            map_program=map_program,
            map_wave=map_wave if map_program and map_wave and map_wave.program_id == map_program.pk else None,
            filters_active=any(self.request.GET.get(name) for name in self.filterset.form.fields),
            columns=columns,
            export_csv_url=f"{export_url}?{urlencode({**export_query, 'format': 'csv'})}",
            export_xlsx_url=f"{export_url}?{urlencode({**export_query, 'format': 'xlsx'})}",
            page_query=query.urlencode(),
        )
        return context


class SiteDetailView(SitesPageMixin, OrgDetailView):
    """One site: address, local access hours, blackout dates, contacts and attributes."""

    model = Site
    template_name = "sites/site_detail.html"
    context_object_name = "site"

    def get_queryset(self):
        return super().get_queryset().select_related("client").prefetch_related("contacts")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.object
        local_now = selectors.site_local_now(site)
        today = local_now.date().isoformat()
        context.update(
            local_now=local_now,
            access_rows=selectors.site_access_hours_rows(site),
            upcoming_blackouts=[day for day in site.blackout_dates if day >= today],
            past_blackouts=[day for day in site.blackout_dates if day < today],
            attributes=sorted((site.attributes or {}).items()),
            contacts=list(site.contacts.all()),
        )
        return context


class SiteExportView(SitesPageMixin, OrgPageMixin, MultipleObjectMixin, View):
    """The list's sites (same filters and sorting) as CSV or XLSX with the import's columns."""

    model = Site

    def get(self, request, *args, **kwargs):
        _filterset, sites = filtered_sites(self, self.get_queryset())
        file_format = request.GET.get("format", "csv")
        file_format = file_format if file_format in ("csv", "xlsx") else "csv"
        client_id = request.GET.get("client", "")
        client = Client.objects.visible_to(self.access).filter(pk=client_id).first() if client_id.isdigit() else None
        filename = exporting.export_filename(
            self.access.organization.slug, client.code if client else None, file_format, timezone.localdate()
        )
        return download_response(
            file_format=file_format,
            filename=filename,
            csv_chunks=exporting.csv_stream(sites),
            xlsx=lambda: exporting.xlsx_file(sites),
        )


class SiteImportTemplateView(SitesPageMixin, OrgPageMixin, View):
    """A CSV template for the import: its columns and one example row."""

    roles = IMPORT_ROLES

    def get(self, request, *args, **kwargs):
        response = HttpResponse(exporting.import_template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sites-import-template.csv"'
        return response


class SiteImportListView(SitesPageMixin, OrgListView):
    """Upload a site file (the dry run starts at once) and see the recent imports."""

    roles = IMPORT_ROLES
    model = SiteImport
    template_name = "sites/import_list.html"
    context_object_name = "imports"
    paginate_by = 20

    def get_queryset(self):
        return super().get_queryset().select_related("client")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", SiteImportUploadForm(access=self.access))
        return context

    def post(self, request, *args, **kwargs):
        form = SiteImportUploadForm(request.POST, request.FILES, access=self.access)
        if form.is_valid():
            try:
                site_import = services.site_import_create(
                    organization=self.access.organization,
                    actor=self.access,
                    client=form.cleaned_data["client"],
                    upload=form.cleaned_data["file"],
                )
            except ApplicationError as error:
                form.add_error("file" if error.field == "file" else None, error.message)
            else:
                return redirect("sites:site-import-page", org=self.access.organization.slug, pk=site_import.pk)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SiteImportDetailView(SitesPageMixin, OrgDetailView):
    """One import: the dry run's progress, then its problems or a summary with the commit button."""

    roles = IMPORT_ROLES
    model = SiteImport
    template_name = "sites/import_detail.html"
    context_object_name = "site_import"

    def get_queryset(self):
        return super().get_queryset().select_related("client")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site_import = self.object
        page = Paginator(site_import.errors or [], ERRORS_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            enroll_programs=import_programs(self.access, site_import.client_id)
            if site_import.status == ImportStatus.COMMITTED
            else [],
            errors_page=page if site_import.errors else None,
            errors_truncated=site_import.error_count > len(site_import.errors or []),
            error_rows=len({error.get("row") for error in site_import.errors or []}),
            detail_url=reverse(
                "sites:site-import-page", kwargs={"org": self.access.organization.slug, "pk": site_import.pk}
            ),
        )
        return context


class SiteImportStatusView(SiteImportDetailView):
    """The status panel alone, for htmx polling (every second while the import runs)."""

    template_name = "sites/_import_status.html"


class SiteImportCommitView(SitesPageMixin, OrgDetailView):
    """POST: commit a checked import (in the background, all or nothing)."""

    roles = IMPORT_ROLES
    model = SiteImport
    template_name = "sites/_import_status.html"

    def get(self, request, *args, **kwargs):
        return redirect("sites:site-import-page", org=self.access.organization.slug, pk=kwargs["pk"])

    def post(self, request, *args, **kwargs):
        site_import = self.get_object()
        url = reverse("sites:site-import-page", kwargs={"org": self.access.organization.slug, "pk": site_import.pk})
        try:
            services.site_import_commit(
                organization=self.access.organization, actor=self.access, import_id=site_import.pk
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect(url)
