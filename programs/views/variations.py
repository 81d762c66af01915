"""A program's site variations: the list, capture and edit (planners and coordinators), approve and reject
(planners)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.functional import cached_property

from programs import selectors, variations
from programs.choices import ALL_VARIATION_FIELDS, VariationKind, VariationStatus
from programs.filtersets import (
    SiteVariationFilterSet,
)
from programs.forms import (
    DecisionForm,
    SiteVariationForm,
)
from programs.models import SiteVariation
from programs.tables import SiteVariationTable
from programs.views.base import (
    PLANNERS_ONLY,
    READ_ROLES,
    ConfirmView,
    ProgramPageMixin,
    ProgramsPageMixin,
    latest_sow_tasks,
)
from rollout.choices import PLANNER_ROLES, Role
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgFormView
from sites.models import Site

VARIATION_WRITERS = PLANNER_ROLES | {Role.COORDINATOR}
VARIATION_READ = {"read": READ_ROLES, "write": VARIATION_WRITERS}
VARIATION_FORMS = {"read": VARIATION_WRITERS, "write": VARIATION_WRITERS}


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
