"""Pages about a program's sites: enrolled sites (filters, sorting, bulk set wave / remove), the "Enroll sites"
picker, the attribute schema editor and its problem list, site variations (capture, edit, approve, reject),
and a site import checked against the program's schema.

Bulk actions go through one confirmation step: the page asks the service for a preview (the same per-site
outcomes, nothing written) and says exactly how many sites will be enrolled, moved or removed; the
confirmed POST carries exactly the ids that were previewed, then shows the result summary.

Every page derives from rollout/views/base.py through ProgramsPageMixin, so another organization's
program, attribute or variation is a 404; readers (clients: their own client's) see, planners change, and
coordinators may also capture variations.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.utils.functional import cached_property

from programs import attributes, enrollments, selectors, variations
from programs.choices import ALL_VARIATION_FIELDS, ProgramStatus, VariationKind, VariationStatus
from programs.filtersets import EnrollCandidateFilterSet, EnrollmentFilterSet, FilterInvalid, SiteVariationFilterSet
from programs.filtersets import selected_site_ids as filtered_site_ids
from programs.forms import (
    BulkWaveForm,
    DecisionForm,
    ProgramAttributeForm,
    ProgramSiteImportForm,
    SiteVariationForm,
)
from programs.models import Enrollment, ProgramAttribute, SiteVariation, Sow, SowTask, Wave
from programs.tables import EnrollCandidateTable, EnrollmentTable, SiteVariationTable
from programs.views import PLANNERS_ONLY, READ_ROLES, ConfirmView, ProgramsPageMixin
from rollout.choices import PLANNER_ROLES, Role
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgFormView, OrgTemplateView
from sites import services as site_services
from sites.choices import SiteStatus
from sites.models import Site

# Wave colours of the map and its legend (by wave order), chosen to stay apart for common colour blindness.
WAVE_COLORS = ["#2563eb", "#ea580c", "#059669", "#9333ea", "#ca8a04", "#0891b2", "#db2777", "#4d7c0f"]
NO_WAVE_COLOR = "#6b7280"
MAP_LIST_PER_PAGE = 50
VARIATION_WRITERS = PLANNER_ROLES | {Role.COORDINATOR}
VARIATION_READ = {"read": READ_ROLES, "write": VARIATION_WRITERS}
VARIATION_FORMS = {"read": VARIATION_WRITERS, "write": VARIATION_WRITERS}
PROBLEMS_PER_PAGE = 50
REFUSED_SHOWN = 200


class ProgramPageMixin(ProgramsPageMixin):
    """A page under /programs/<pk>/…: the program named by the URL (visible to the caller, or 404), and its tabs."""

    tab = ""

    @cached_property
    def program(self):
        return self.get_program(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(program=self.program, tab=self.tab, is_open=self.program.status != ProgramStatus.CLOSED)
        return context

    def program_waves(self):
        return Wave.objects.visible_to(self.access).filter(program=self.program).order_by("order", "start_date")


def latest_sow_tasks(access, program) -> list[SowTask]:
    """The tasks of the program's latest SOW version (a draft included), in order: what variations name."""
    sow = Sow.objects.visible_to(access).filter(program=program).order_by("-version").first()
    if sow is None:
        return []
    return list(SowTask.objects.visible_to(access).filter(sow=sow).order_by("position", "id"))


def query_without(request, *names: str) -> str:
    """The current query string without paging (and the given names): what "all matching" re-applies."""
    query = request.GET.copy()
    for name in ("page", *names):
        query.pop(name, None)
    return query.urlencode()


# --- Enrolled sites and bulk actions ----------------------------------------------------------------


class ProgramSitesView(ProgramPageMixin, OrgTableView):
    """The program's enrolled sites with the API's filters, sorting, pagination and bulk set wave / remove."""

    template_name = "programs/program_sites.html"
    queryset = Enrollment.objects.with_summary()
    filterset_class = EnrollmentFilterSet
    table_class = EnrollmentTable
    tab = "sites"

    def get_queryset(self):
        return super().get_queryset().filter(program=self.program)

    def prepare_filter_form(self, form):
        for name in ("program", "site", "client"):
            del form.fields[name]
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Code, name, city or ZIP"})
        form.fields["wave"].queryset = self.program_waves()
        form.fields["wave"].empty_label = "Any wave"
        form.fields["no_wave"].widget = forms.Select(choices=[("", "Any"), ("true", "In no wave")])
        form.fields["no_wave"].label = "Without wave"
        form.fields["state"].widget.attrs["placeholder"] = "e.g. IL"
        form.order_fields(["q", "state", "city", "wave", "no_wave"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = selectors.enrollment_counts(access=self.access, program=self.program)
        context.update(
            wave_counts=counts,
            enrolled_total=sum(count.count for count in counts),
            bulk_form=BulkWaveForm(waves=self.program_waves()),
            filters_query=query_without(self.request, "sort"),
        )
        return context


class ProgramMapView(ProgramPageMixin, OrgTemplateView):
    """The program's enrolled sites on a map (one dot per site, coloured by wave) and, below it, the same sites as a
    list. Markers and list come from one query's rows, embedded in the page, so the page says everything even when
    the map's tiles (or the map library) cannot load. `?wave=<id>` or `?wave=none` narrows both."""

    template_name = "programs/program_map.html"
    tab = "map"

    def chosen_wave(self, waves: list[Wave]) -> str:
        """The wave filter as given: a wave id of this program, "none", or "" (any); anything else is ignored."""
        value = self.request.GET.get("wave", "")
        if value == "none" or (value.isdigit() and any(wave.pk == int(value) for wave in waves)):
            return value
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        waves = list(self.program_waves())
        counts = selectors.enrollment_counts(access=self.access, program=self.program)
        colors = {wave.pk: WAVE_COLORS[index % len(WAVE_COLORS)] for index, wave in enumerate(waves)}
        chosen = self.chosen_wave(waves)
        enrolled = Enrollment.objects.visible_to(self.access).filter(program=self.program)
        if chosen == "none":
            enrolled = enrolled.filter(wave__isnull=True)
        elif chosen:
            enrolled = enrolled.filter(wave_id=int(chosen))
        rows = list(
            enrolled.order_by("site__code", "site_id").values_list(
                "site_id", "site__code", "site__name", "site__city", "site__state", "site__latitude",
                "site__longitude", "wave_id",
            )
        )  # fmt: skip
        names = {wave.pk: wave.name for wave in waves}
        # Later waves are drawn first, so the pilot's few dots stay on top where stores crowd together.
        draw_rank = {wave.pk: index for index, wave in enumerate(waves)}
        drawn = sorted(rows, key=lambda row: -draw_rank.get(row[7], len(waves)))
        listed = [
            {
                "id": site_id,
                "code": code,
                "name": name,
                "place": ", ".join(part for part in (city, state) if part),
                "wave": names.get(wave_id, "No wave"),
                "color": colors.get(wave_id, NO_WAVE_COLOR),
                "placed": latitude is not None and longitude is not None,
            }
            for site_id, code, name, city, state, latitude, longitude, wave_id in rows
        ]
        map_data = {
            "siteUrl": self.org_url("sites:site-page", pk=0).removesuffix("0/") + "{id}/",
            "waves": {
                **{str(wave.pk): {"name": wave.name, "color": colors[wave.pk]} for wave in waves},
                "none": {"name": "No wave", "color": NO_WAVE_COLOR},
            },
            "sites": [
                [site_id, code, name, city, state, float(latitude), float(longitude), str(wave_id or "none")]
                for site_id, code, name, city, state, latitude, longitude, wave_id in drawn
                if latitude is not None and longitude is not None
            ],
        }
        legend = [
            {
                "key": str(count.wave_id) if count.wave_id else "none",
                "name": count.name,
                "count": count.count,
                "color": colors.get(count.wave_id, NO_WAVE_COLOR),
            }
            for count in counts
        ]
        page = Paginator(listed, MAP_LIST_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            map_data=map_data,
            legend=legend,
            chosen_wave=chosen,
            enrolled_total=sum(count.count for count in counts),
            shown_total=len(listed),
            placed_total=len(map_data["sites"]),
            unplaced_total=len(listed) - len(map_data["sites"]),
            page_obj=page,
            page_query=f"wave={chosen}&" if chosen else "",
        )
        return context


class EnrollSitesView(ProgramPageMixin, OrgTableView):
    """Pick sites of the program's client (filters, select-all-matching) and a wave, then confirm."""

    roles = PLANNERS_ONLY
    template_name = "programs/enroll_sites.html"
    model = Site
    filterset_class = EnrollCandidateFilterSet
    table_class = EnrollCandidateTable
    tab = "sites"

    def get_queryset(self):
        self.queryset = selectors.enrollment_candidates(access=self.access, program=self.program)
        return super().get_queryset()

    def prepare_filter_form(self, form):
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Code, name, city or ZIP"})
        form.fields["state"].widget.attrs["placeholder"] = "e.g. IL"
        form.fields["attr"].widget.attrs["placeholder"] = "name:value"
        form.fields["status"].widget = forms.Select(choices=[("", "Any status"), *SiteStatus.choices])
        form.fields["enrolled"].widget = forms.Select(
            choices=[("", "Enrolled or not"), ("false", "Not enrolled yet"), ("true", "Already enrolled")]
        )
        form.fields["enrolled"].label = "In this program"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            bulk_form=BulkWaveForm(waves=self.program_waves(), empty_label="No wave (enrolled sites keep theirs)"),
            filters_query=query_without(self.request, "sort"),
        )
        return context


BULK_ACTIONS = {
    "enroll": enrollments.enrollment_bulk_create,
    "set_wave": enrollments.enrollment_bulk_set_wave,
    "remove": enrollments.enrollment_bulk_remove,
}


class EnrollmentBulkView(ProgramPageMixin, OrgTemplateView):
    """POST only: `action` (enroll, set_wave, remove) on the selected or all matching sites.

    step=confirm (default) previews and asks; step=apply does exactly what was previewed (the ids travel
    with the confirmation) and shows the result summary.
    """

    roles = PLANNERS_ONLY
    http_method_names = ["get", "post"]
    tab = "sites"

    def get(self, request, *args, **kwargs):
        return redirect(self.org_url("programs:program-sites", pk=self.program.pk))

    def back_url(self, action: str) -> str:
        name = "programs:program-enroll" if action == "enroll" else "programs:program-sites"
        url = self.org_url(name, pk=self.program.pk)
        filters = self.request.POST.get("filters", "")
        return f"{url}?{filters}" if filters else url

    def selection(self, action: str) -> list[int]:
        post = self.request.POST
        if "site_ids" in post:  # the confirmed step: exactly what was previewed
            return [int(part) for part in post["site_ids"].split(",") if part.strip().isdigit()]
        if post.get("scope") != "all":
            return [int(value) for value in post.getlist("site") if value.isdigit()]
        data = QueryDict(post.get("filters", "")).dict()
        if action == "enroll":
            filterset, queryset, field = (
                EnrollCandidateFilterSet,
                selectors.enrollment_candidates(access=self.access, program=self.program),
                "pk",
            )
        else:
            filterset = EnrollmentFilterSet
            queryset, field = Enrollment.objects.visible_to(self.access).filter(program=self.program), "site_id"
        try:
            return filtered_site_ids(filterset, data, queryset, self.request, site_field=field)
        except FilterInvalid:
            return []

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action not in BULK_ACTIONS:
            raise Http404("No such action.")
        wave_form = BulkWaveForm(request.POST, waves=self.program_waves())
        if not wave_form.is_valid():
            messages.error(request, "Choose one of this program's waves.")
            return redirect(self.back_url(action))
        wave = wave_form.cleaned_data["wave"]
        site_ids = self.selection(action)
        if not site_ids:
            messages.warning(request, "Select at least one site (or all matching) first.")
            return redirect(self.back_url(action))
        apply = request.POST.get("step") == "apply"
        kwargs = {"program_id": self.program.pk, "site_ids": site_ids, "preview": not apply}
        if action != "remove":
            kwargs["wave_id"] = wave.pk if wave else None
        try:
            result = BULK_ACTIONS[action](**self.service_kwargs(), **kwargs)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(self.back_url(action))
        if not apply:
            return self.render_confirm(action, wave, result)
        return self.render_result(action, wave, result)

    def render_confirm(self, action: str, wave, result):
        counts, code = result.counts, self.program.code
        wave_name = wave.name if wave else "no wave"
        labels = {
            "enroll": [
                ("created", f"Will be enrolled ({'in ' + wave.name if wave else 'in no wave'})"),
                ("updated", f"Already enrolled, will move to {wave_name}"),
                ("unchanged", "Already enrolled, unchanged"),
            ],
            "set_wave": [("updated", f"Will move to {wave_name}"), ("unchanged", f"Already in {wave_name}")],
            "remove": [("removed", "Will leave the program"), ("unchanged", "Not enrolled, unchanged")],
        }[action]
        details = [(label, counts[outcome]) for outcome, label in labels if counts[outcome]]
        if counts["refused"]:
            details.append(("Refused (see the reasons after)", counts["refused"]))
        touched = result.changed
        title, button, tone = {
            "enroll": (f"Enroll {touched} site{'s' * (touched != 1)} in {code}?", "Enroll", "primary"),
            "set_wave": (f"Move {touched} site{'s' * (touched != 1)} to {wave_name}?", "Move", "primary"),
            "remove": (f"Remove {touched} site{'s' * (touched != 1)} from {code}?", "Remove", "danger"),
        }[action]
        message = (
            f"Of the {len(result.items)} selected sites, {touched} will change. Nothing is done until you confirm."
            if touched
            else f"None of the {len(result.items)} selected sites would change."
        )
        confirm = {
            "title": title,
            "message": message,
            "details": details,
            "action_label": f"{button} {touched} site{'s' * (touched != 1)}",
            "tone": tone,
            "icon": {"enroll": "geo-alt", "set_wave": "calendar-range", "remove": "box-arrow-right"}[action],
            "cancel_url": self.back_url(action),
            "fields": {
                "action": action,
                "step": "apply",
                "wave": wave.pk if wave else "",
                "site_ids": ",".join(str(item.site_id) for item in result.items),
                "filters": self.request.POST.get("filters", ""),
            },
        }
        return self.render_to_response_with("components/confirm_page.html", confirm=confirm, section="programs")

    def render_result(self, action: str, wave, result):
        refused = result.refused[:REFUSED_SHOWN]
        codes = dict(
            Site.objects.visible_to(self.access)
            .filter(pk__in=[item.site_id for item in refused])
            .values_list("pk", "code")
        )
        verb = {"enroll": "Enrollment", "set_wave": "Wave change", "remove": "Removal"}[action]
        messages.success(self.request, f"{verb} done: {result.changed} site{'s' * (result.changed != 1)} changed.")
        return self.render_to_response_with(
            "programs/bulk_result.html",
            result=result,
            verb=verb,
            wave=wave,
            counts=result.counts,
            refused_rows=[(item, codes.get(item.site_id)) for item in refused],
            refused_more=len(result.refused) - len(refused),
            back_url=self.org_url("programs:program-sites", pk=self.program.pk),
        )

    def render_to_response_with(self, template: str, **extra):
        self.template_name = template
        return self.render_to_response(self.get_context_data(**extra))


# --- Attribute schema -------------------------------------------------------------------------------


class ProgramAttributesView(ProgramPageMixin, OrgTemplateView):
    """The program's attribute schema: what every enrolled site is expected to carry."""

    template_name = "programs/attributes.html"
    tab = "attributes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["attributes"] = list(
            ProgramAttribute.objects.visible_to(self.access).filter(program=self.program).order_by("name")
        )
        return context


class ProgramAttributeFormView(ProgramsPageMixin, OrgFormView):
    """Declare an attribute (URL pk = program) or change one (URL attribute = attribute)."""

    roles = PLANNERS_ONLY
    form_class = ProgramAttributeForm
    template_name = "programs/attribute_form.html"

    @cached_property
    def attribute(self) -> ProgramAttribute | None:
        if "attribute" not in self.kwargs:
            return None
        return self.visible_or_404(
            ProgramAttribute.objects.select_related("program"), self.kwargs["attribute"], "attribute"
        )

    @cached_property
    def program(self):
        return self.attribute.program if self.attribute else self.get_program(self.kwargs["pk"])

    def get_initial(self):
        if self.attribute is None:
            return {}
        values = {name: getattr(self.attribute, name) for name in attributes.ATTRIBUTE_FIELDS}
        values["allowed_values"] = "\n".join(self.attribute.allowed_values)
        return values

    def get_context_data(self, **kwargs):
        return super().get_context_data(program=self.program, attribute=self.attribute, **kwargs)

    def form_valid(self, form):
        values = dict(form.cleaned_data)
        try:
            if self.attribute is None:
                attributes.program_attribute_add(**self.service_kwargs(), program_id=self.program.pk, **values)
            else:
                attributes.program_attribute_update(**self.service_kwargs(), attribute_id=self.attribute.pk, **values)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Attribute “{values['name']}” saved.")
        return redirect(self.org_url("programs:program-attributes", pk=self.program.pk))


class ProgramAttributeDeleteView(ConfirmView):
    def get_attribute(self) -> ProgramAttribute:
        return self.visible_or_404(
            ProgramAttribute.objects.select_related("program"), self.kwargs["attribute"], "attribute"
        )

    def confirm(self):
        attribute = self.get_attribute()
        return {
            "title": f"Stop expecting “{attribute.name}”?",
            "message": "Sites keep their values; they are just no longer checked against this attribute.",
            "details": [("Program", attribute.program.name), ("Type", attribute.get_type_display())],
            "action_label": "Delete attribute",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.org_url("programs:program-attributes", pk=attribute.program_id),
        }

    def post(self, request, *args, **kwargs):
        attribute = self.get_attribute()
        try:
            attributes.program_attribute_delete(**self.service_kwargs(), attribute_id=attribute.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Attribute “{attribute.name}” deleted.")
        return redirect(self.org_url("programs:program-attributes", pk=attribute.program_id))


class AttributeProblemsView(ProgramPageMixin, OrgTemplateView):
    """Enrolled sites whose attributes break the schema, by site code, paginated."""

    template_name = "programs/attribute_problems.html"
    tab = "attributes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = selectors.program_attribute_problems(organization=self.access.organization, program_id=self.program.pk)
        context.update(
            report=report,
            page=Paginator(report.sites, PROBLEMS_PER_PAGE).get_page(self.request.GET.get("page")),
        )
        return context


class ProgramSiteImportView(ProgramPageMixin, OrgFormView):
    """Upload a site file for the program's client, checked against the program's attribute schema."""

    roles = PLANNERS_ONLY
    form_class = ProgramSiteImportForm
    template_name = "programs/site_import.html"
    tab = "attributes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schema"] = selectors.program_attribute_schema(
            organization=self.access.organization, program_id=self.program.pk
        )
        return context

    def form_valid(self, form):
        schema = selectors.program_site_schema(organization=self.access.organization, program_id=self.program.pk)
        try:
            site_import = site_services.site_import_create(
                organization=self.access.organization,
                actor=self.access,
                client=self.program.client,
                upload=form.cleaned_data["file"],
                attribute_schema=schema,
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        return redirect(self.org_url("sites:site-import-page", pk=site_import.pk))


# --- Site variations --------------------------------------------------------------------------------


class ProgramVariationsView(ProgramPageMixin, OrgTableView):
    """The program's site variations with status, kind and text filters; decisions for PMs and admins."""

    roles = VARIATION_READ
    template_name = "programs/variations.html"
    queryset = SiteVariation.objects.with_summary()
    filterset_class = SiteVariationFilterSet
    table_class = SiteVariationTable
    tab = "variations"

    def get_queryset(self):
        return super().get_queryset().filter(program=self.program)

    def prepare_filter_form(self, form):
        del form.fields["program"]
        del form.fields["client"]
        form.fields["site"].widget = forms.HiddenInput()
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Site or reason"})
        form.fields["status"].widget = forms.Select(choices=[("", "Any status"), *VariationStatus.choices])
        form.fields["kind"].widget = forms.Select(choices=[("", "Any kind"), *VariationKind.choices])
        form.order_fields(["q", "status", "kind"])

    def get_table_kwargs(self):
        return {**super().get_table_kwargs(), "can_decide": self.access.role in PLANNER_ROLES}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site_id = self.request.GET.get("site", "")
        context.update(
            status_counts=selectors.site_variation_counts(access=self.access, program=self.program),
            filtered_site=(
                Site.objects.visible_to(self.access).filter(pk=site_id).first() if site_id.isdigit() else None
            ),
        )
        return context


class VariationFormView(ProgramsPageMixin, OrgFormView):
    """Capture a variation (URL pk = program, ?site= and ?kind= preselect) or edit a pending one."""

    roles = VARIATION_FORMS
    form_class = SiteVariationForm
    template_name = "programs/variation_form.html"

    @cached_property
    def variation(self) -> SiteVariation | None:
        if "variation" not in self.kwargs:
            return None
        return self.visible_or_404(
            SiteVariation.objects.select_related("program", "program__client", "site"),
            self.kwargs["variation"],
            "variation",
        )

    @cached_property
    def program(self):
        return self.variation.program if self.variation else self.get_program(self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        if self.variation is not None and not self.variation.is_pending:
            messages.error(request, "This variation was already decided; only pending variations can change.")
            return redirect(self.org_url("programs:program-variations", pk=self.program.pk))
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        tasks = latest_sow_tasks(self.access, self.program)
        sites = Site.objects.visible_to(self.access).filter(enrollments__program=self.program).order_by("code")
        return {**super().get_form_kwargs(), "sites": sites, "tasks": tasks, "fixed": self.variation is not None}

    def get_initial(self):
        variation = self.variation
        if variation is None:
            site = self.request.GET.get("site", "")
            return {
                "site": int(site) if site.isdigit() else None,
                "kind": self.request.GET.get("kind") or VariationKind.MODIFY_TASK,
                "quantity": 1,
                "unit": "ea",
                "evidence_kind": "none",
            }
        initial = {name: getattr(variation, name) for name in ("reason", *ALL_VARIATION_FIELDS)}
        if variation.kind == VariationKind.ADD_TASK:
            initial["new_task_key"] = initial.pop("task_key")
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            program=self.program, variation=self.variation, kinds=VariationKind.choices, **kwargs
        )

    def form_valid(self, form):
        variation = self.variation
        kind = variation.kind if variation else form.cleaned_data["kind"]
        values = form.service_values(kind)
        field_map = {"task_key": "new_task_key"} if kind == VariationKind.ADD_TASK else {}
        try:
            if variation is None:
                variations.site_variation_create(
                    **self.service_kwargs(),
                    program_id=self.program.pk,
                    site_id=form.cleaned_data["site"].pk,
                    kind=kind,
                    **values,
                )
            else:
                variations.site_variation_update(**self.service_kwargs(), variation_id=variation.pk, **values)
        except ApplicationError as exc:
            add_service_error(form, exc, field_map)
            return self.form_invalid(form)
        messages.success(self.request, "Variation saved; it waits for a PM's decision.")
        return redirect(self.org_url("programs:program-variations", pk=self.program.pk))


class VariationMixin:
    def get_variation(self) -> SiteVariation:
        return self.visible_or_404(
            SiteVariation.objects.select_related("program", "site"), self.kwargs["variation"], "variation"
        )


class VariationDeleteView(VariationMixin, ConfirmView):
    roles = VARIATION_FORMS

    def confirm(self):
        variation = self.get_variation()
        return {
            "title": "Withdraw this variation?",
            "message": "The pending variation is deleted; it never reaches the packet.",
            "details": [("Site", str(variation.site)), ("Variation", str(variation)), ("Reason", variation.reason)],
            "action_label": "Withdraw variation",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.org_url("programs:program-variations", pk=variation.program_id),
        }

    def post(self, request, *args, **kwargs):
        variation = self.get_variation()
        try:
            variations.site_variation_delete(**self.service_kwargs(), variation_id=variation.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Variation withdrawn.")
        return redirect(self.org_url("programs:program-variations", pk=variation.program_id))


class VariationDecideView(VariationMixin, ProgramsPageMixin, OrgFormView):
    """Approve or reject a pending variation with a note: GET shows it and asks, POST decides."""

    roles = PLANNERS_ONLY
    form_class = DecisionForm
    template_name = "programs/variation_decide.html"
    decision = "approve"

    def get_context_data(self, **kwargs):
        variation = self.get_variation()
        return super().get_context_data(
            variation=variation, program=variation.program, decision=self.decision, **kwargs
        )

    def form_valid(self, form):
        variation = self.get_variation()
        service = variations.site_variation_approve if self.decision == "approve" else variations.site_variation_reject
        try:
            service(**self.service_kwargs(), variation_id=variation.pk, note=form.cleaned_data["note"])
        except ApplicationError as exc:
            if exc.field == "note":
                add_service_error(form, exc)
                return self.form_invalid(form)
            messages.error(self.request, exc.message)
        else:
            messages.success(
                self.request, "Variation approved." if self.decision == "approve" else "Variation rejected."
            )
        return redirect(self.org_url("programs:program-variations", pk=variation.program_id))
