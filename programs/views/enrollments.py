"""A program's sites: the enrolled sites (filters, sorting, bulk set wave / remove), the map, and the
"Enroll sites" picker.

Bulk actions go through one confirmation step: the page asks the service for a preview (the same per-site
outcomes, nothing written) and says exactly how many sites will be enrolled, moved or removed; the
confirmed POST carries exactly the ids that were previewed, then shows the result summary."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect

from programs import enrollments, selectors
from programs.filtersets import (
    EnrollCandidateFilterSet,
    EnrollmentFilterSet,
    FilterInvalid,
)
from programs.filtersets import selected_site_ids as filtered_site_ids
from programs.forms import (
    BulkWaveForm,
)
from programs.models import Enrollment, Wave
from programs.tables import EnrollCandidateTable, EnrollmentTable
from programs.views.base import PLANNERS_ONLY, ProgramPageMixin, query_without
from rollout.errors import ApplicationError
from rollout.tables import OrgTableView
from rollout.views.base import OrgTemplateView
from sites.choices import SiteStatus
from sites.models import Site

WAVE_COLORS = ["#2563eb", "#ea580c", "#059669", "#9333ea", "#ca8a04", "#0891b2", "#db2777", "#4d7c0f"]
NO_WAVE_COLOR = "#6b7280"
MAP_LIST_PER_PAGE = 50
REFUSED_SHOWN = 200


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
