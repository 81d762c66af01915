"""Quality pages: the Quality home (DRFT per program against target, weekly trend, Pareto of root causes, queue,
failed work orders), the DRFT drill-down, the review queue and the review page (packet tasks beside the evidence;
accept, or reject with defects — keyboard driven); the defect catalogue, DRFT exclusions, warranty reports, and the
client viewer's DRFT page (what quality.visibility allows a client to see).

Reads are for staff and integrators; decisions for coordinators, PMs and admins. Every lookup is scoped through
the base classes (`visible_to`), so another organization's work order is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from quality import sampling, selectors, services
from quality.choices import RootCause, Severity
from quality.filtersets import (
    DefectCodeFilterSet,
    DrftExclusionFilterSet,
    ReviewQueueFilterSet,
    WarrantyReportFilterSet,
)
from quality.forms import DefectCodeForm, DrftExclusionForm, SamplingPolicyForm, WarrantyReportForm
from quality.models import DefectCode, DrftExclusion, SamplingPolicy, WarrantyReport
from quality.services import WARRANTY_REPORTERS
from quality.tables import DefectCodeTable, DrftExclusionTable, ReviewQueueTable, WarrantyReportTable
from quality.visibility import CLIENT
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, STAFF_ROLES, Role
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgConfirmView, OrgFormView, OrgTemplateView
from workorders.choices import WorkOrderStatus
from workorders.models import WorkOrder

READ = {"read": FULL_READ_ROLES, "write": STAFF_ROLES}


class QualityHomeView(OrgTemplateView):
    """DRFT per program against its target, the weekly trend, the Pareto of root causes, the queue, failures."""

    template_name = "quality/home.html"
    roles = READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.quality_overview(access=self.access))
        return context


class DrftDrillView(OrgTemplateView):
    """DRFT drill-down: program → wave → region → vendor → technician → work order, each level with numerator,
    denominator, excluded and %."""

    template_name = "quality/drill.html"
    roles = READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        path = {d: self.request.GET[d] for d in selectors.DRILL if d in self.request.GET}
        # Only a prefix of the drill order makes sense (program, then wave, …).
        prefix = {}
        for dimension in selectors.DRILL:
            if dimension not in path:
                break
            prefix[dimension] = path[dimension]
        level, rows = selectors.drft_drill(access=self.access, path=prefix)
        crumbs, so_far = [], {}
        labels = selectors.drft_drill_labels(access=self.access, path=prefix) if prefix else {}
        for dimension, key in prefix.items():
            so_far[dimension] = key
            label = labels.get(dimension) or key
            crumbs.append({"dimension": dimension, "key": key, "label": label, "query": urlencode(so_far)})
        context.update(
            level=level,
            rows=rows,
            path=prefix,
            base_query=urlencode(prefix),
            crumbs=crumbs,
        )
        if level == "work_order":
            context["facts"] = rows.select_related("work_order", "work_order__site", "technician").order_by(
                "work_order__number"
            )
        return context


class ReviewQueueView(OrgTableView):
    """Submitted work orders waiting for review, oldest first, with their age."""

    model = WorkOrder
    template_name = "quality/queue.html"
    filterset_class = ReviewQueueFilterSet
    table_class = ReviewQueueTable
    roles = READ

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.with_summary()
            .select_related("technician__vendor")
            .prefetch_related("sampling_draws")
            .filter(status=WorkOrderStatus.SUBMITTED)
            .order_by("submitted_at", "id")
        )


class ReviewView(OrgTemplateView):
    """One work order's review: its packet's tasks beside the evidence; accept, or reject with defects."""

    template_name = "quality/review.html"
    roles = READ

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.pk = kwargs["pk"]

    def get_work_order(self) -> WorkOrder:
        queryset = WorkOrder.objects.with_summary().select_related("technician__vendor")
        return self.visible_or_404(queryset, self.pk, "work order")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        work_order = self.get_work_order()
        packet = selectors.review_packet_get(access=self.access, work_order=work_order)
        following = selectors.next_in_queue(access=self.access, after=work_order)
        context.update(
            work_order=work_order,
            sampling_draw=sampling.sampling_draw_get(organization=self.access.organization, work_order=work_order),
            packet=packet,
            reviewable=work_order.status == WorkOrderStatus.SUBMITTED,
            next_work_order=following,
            defect_codes=DefectCode.objects.visible_to(self.access).filter(active=True).order_by("code"),
            severities=Severity.choices,
            root_causes=RootCause.choices,
            defect_rows=range(3),
        )
        return context

    def post(self, request, *args, **kwargs):
        work_order = self.get_work_order()
        decision = request.POST.get("decision")
        try:
            if decision == "accept":
                services.qa_review_accept(
                    **self.service_kwargs(), work_order_id=work_order.pk, comment=request.POST.get("comment", "")
                )
                messages.success(request, f"{work_order.number} accepted.")
            elif decision == "reject":
                services.qa_review_reject(
                    **self.service_kwargs(),
                    work_order_id=work_order.pk,
                    defects=self.defects_from(request.POST),
                    comment=request.POST.get("comment", ""),
                )
                messages.success(request, f"{work_order.number} rejected: it goes back for rework.")
            else:
                raise Http404("No such decision.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)
        following = selectors.next_in_queue(access=self.access, after=work_order)
        if following is not None and request.POST.get("then") == "next":
            return redirect(self.org_url("quality:review", pk=following.pk))
        return redirect(self.org_url("quality:queue"))

    @staticmethod
    def defects_from(data) -> list[services.DefectInput]:
        """The filled defect rows of the reject form (a row without a code is an unused row)."""
        rows = zip(
            data.getlist("defect_code"),
            data.getlist("defect_severity"),
            data.getlist("defect_root_cause"),
            data.getlist("defect_task"),
            data.getlist("defect_photo"),
            data.getlist("defect_comment"),
            strict=False,
        )
        defects = []
        for code, severity, root_cause, task_key, photo, comment in rows:
            if not code.strip():
                continue
            defects.append(
                services.DefectInput(
                    code_id=int(code) if code.isdigit() else 0,
                    severity=severity,
                    root_cause=root_cause,
                    task_key=task_key,
                    photo_id=int(photo) if photo.isdigit() else None,
                    comment=comment,
                )
            )
        return defects


def queue_url(organization, **filters) -> str:
    url = reverse("quality:queue", kwargs={"org": organization.slug})
    return f"{url}?{urlencode(filters)}" if filters else url


class ScorecardView(OrgTemplateView):
    """A technician's scorecard with the formula shown: staff read anyone's (…/scorecards/<id>/), a technician their
    own on the phone (…/scorecards/me/); each figure lists the jobs behind it."""

    roles = {"read": FULL_READ_ROLES | {Role.TECHNICIAN}, "write": frozenset()}

    def get_template_names(self):
        return ["quality/scorecard_phone.html" if self.access.role == Role.TECHNICIAN else "quality/scorecard.html"]

    def get_context_data(self, **kwargs):
        from quality.scorecards import technician_scorecard
        from technicians.models import Technician

        context = super().get_context_data(**kwargs)
        pk = self.kwargs.get("pk")
        if pk is None:
            technician = Technician.objects.visible_to(self.access).filter(user=self.access.user).first()
            if technician is None:
                raise Http404("No technician profile.")
        else:
            technician = self.visible_or_404(Technician.objects, pk, "technician")
        card = technician_scorecard(organization=self.access.organization, technician_id=technician.pk)
        jobs = (
            {
                wo.pk: wo
                for wo in WorkOrder.objects.visible_to(self.access)
                .filter(pk__in=card.job_ids)
                .select_related("site")
                .only("pk", "number", "site__code")
            }
            if self.access.role != Role.TECHNICIAN
            else {}
        )
        if self.access.role == Role.TECHNICIAN:
            # What QA found on their work lately (the defects to fix on a return visit), newest first.
            context["rejections"] = list(
                selectors.qa_review_list(access=self.access)
                .filter(decision="rejected")
                .order_by("-decided_at", "-id")[:10]
            )
        context.update(
            technician=technician,
            card=card,
            failed_jobs=[jobs[pk] for pk in card.failed_job_ids if pk in jobs],
        )
        return context


# --- Defect catalogue, exclusions, warranty reports ---------------------------------------------------------

CATALOGUE = {"read": FULL_READ_ROLES, "write": frozenset({Role.ADMIN})}
EXCLUSIONS = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES}
WARRANTY = {"read": FULL_READ_ROLES | {Role.CLIENT}, "write": WARRANTY_REPORTERS}


class ClientLayoutMixin:
    """Pages a client viewer also reads render in the client portal's layout."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = "layouts/portal.html" if CLIENT.applies(self.access) else "layouts/staff.html"
        return context


class DefectCodeListView(OrgTableView):
    """The defect catalogue: code, title, default severity, how often used; admins add and edit codes."""

    model = DefectCode
    template_name = "quality/defect_code_list.html"
    filterset_class = DefectCodeFilterSet
    table_class = DefectCodeTable
    roles = CATALOGUE

    def get_queryset(self):
        return super().get_queryset().annotate(defect_count=Count("defects")).order_by("code", "id")

    def prepare_filter_form(self, form):
        form.fields["active"].label = "Status"
        form.fields["active"].widget.choices = [("", "Any status"), ("true", "Active"), ("false", "Retired")]
        form.fields["default_severity"].empty_label = "Any severity"
        form.fields["default_severity"].choices = [("", "Any severity"), *Severity.choices]


class DefectCodeFormView(OrgFormView):
    """Add a code to the catalogue, or edit one (admins)."""

    form_class = DefectCodeForm
    template_name = "quality/defect_code_form.html"
    roles = {"read": CATALOGUE["write"], "write": CATALOGUE["write"]}

    def defect_code(self) -> DefectCode | None:
        return (
            self.visible_or_404(DefectCode.objects, self.kwargs["pk"], "defect code") if "pk" in self.kwargs else None
        )

    def get_initial(self):
        code = self.defect_code()
        return {} if code is None else {name: getattr(code, name) for name in services.DEFECT_CODE_FIELDS}

    def get_context_data(self, **kwargs):
        return super().get_context_data(defect_code=self.defect_code(), **kwargs)

    def form_valid(self, form):
        code = self.defect_code()
        try:
            if code is None:
                code = services.defect_code_create(**self.service_kwargs(), **form.cleaned_data)
            else:
                changes = {name: form.cleaned_data[name] for name in form.changed_data}
                code = services.defect_code_update(**self.service_kwargs(), defect_code_id=code.pk, **changes)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Defect code “{code.code}” saved.")
        return redirect(self.org_url("quality:defect-codes"))


class ExclusionListView(OrgTableView):
    """Work orders excluded from DRFT (client-caused, site not ready), with the PM's reason."""

    model = DrftExclusion
    template_name = "quality/exclusion_list.html"
    filterset_class = DrftExclusionFilterSet
    table_class = DrftExclusionTable
    roles = EXCLUSIONS

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("work_order", "work_order__site", "work_order__program").order_by(
            "-created_at", "-id"
        )


class ExclusionFormView(OrgFormView):
    """A PM classifies a work order's return or incomplete first visit as caused by the client or by the site not
    being ready, with a reason: it leaves DRFT (both parts)."""

    form_class = DrftExclusionForm
    template_name = "quality/exclusion_form.html"
    roles = {"read": EXCLUSIONS["write"], "write": EXCLUSIONS["write"]}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "access": self.access}

    def get_initial(self):
        work_order = self.request.GET.get("work_order", "")
        return {"work_order": work_order} if work_order.isdigit() else {}

    def form_valid(self, form):
        work_order = form.cleaned_data["work_order"]
        try:
            services.drft_exclusion_set(
                **self.service_kwargs(),
                work_order_id=work_order.pk,
                cause=form.cleaned_data["cause"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            add_service_error(form, exc, {"work_order_id": "work_order"})
            return self.form_invalid(form)
        messages.success(self.request, f"{work_order.number} is excluded from DRFT.")
        return redirect(self.org_url("quality:exclusions"))


class ExclusionDeleteView(OrgConfirmView):
    """Confirm, then count an excluded work order in DRFT again."""

    roles = {"read": EXCLUSIONS["write"], "write": EXCLUSIONS["write"]}

    def exclusion(self) -> DrftExclusion:
        return self.visible_or_404(DrftExclusion.objects.select_related("work_order"), self.kwargs["pk"], "exclusion")

    def confirm(self) -> dict:
        exclusion = self.exclusion()
        return {
            "title": f"Count {exclusion.work_order.number} in DRFT again?",
            "message": "The exclusion is removed (audited) and the work order's DRFT is recomputed.",
            "details": [("Cause", exclusion.get_cause_display()), ("Reason", exclusion.reason)],
            "action_label": "Count in DRFT again",
            "tone": "danger",
            "icon": "arrow-counterclockwise",
            "cancel_url": self.org_url("quality:exclusions"),
        }

    def post(self, request, *args, **kwargs):
        exclusion = self.exclusion()
        services.drft_exclusion_delete(**self.service_kwargs(), drft_exclusion_id=exclusion.pk)
        messages.success(request, f"{exclusion.work_order.number} counts in DRFT again.")
        return redirect(self.org_url("quality:exclusions"))


class WarrantyReportListView(ClientLayoutMixin, OrgTableView):
    """Problems reported on accepted work within its warranty window (a client viewer: their own programs')."""

    model = WarrantyReport
    template_name = "quality/warranty_list.html"
    filterset_class = WarrantyReportFilterSet
    table_class = WarrantyReportTable
    roles = WARRANTY

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("work_order", "work_order__site", "work_order__program").order_by(
            "-created_at", "-id"
        )

    def prepare_filter_form(self, form):
        del form.fields["work_order"]


class WarrantyReportFormView(ClientLayoutMixin, OrgFormView):
    """Report a problem on accepted work within its warranty window: it goes back for a warranty return visit."""

    form_class = WarrantyReportForm
    template_name = "quality/warranty_form.html"
    roles = {"read": WARRANTY["write"], "write": WARRANTY["write"]}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "access": self.access}

    def get_initial(self):
        work_order = self.request.GET.get("work_order", "")
        return {"work_order": work_order} if work_order.isdigit() else {}

    def form_valid(self, form):
        work_order = form.cleaned_data["work_order"]
        try:
            services.warranty_report_create(
                **self.service_kwargs(), work_order_id=work_order.pk, description=form.cleaned_data["description"]
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Problem reported on {work_order.number}: it goes back for a return visit.")
        return redirect(self.org_url("quality:warranty-reports"))


# --- The client's DRFT view ---------------------------------------------------------------------------------


class ClientQualityView(OrgTemplateView):
    """A client viewer's Quality page: DRFT of their own programs against target (final and provisional, with
    exclusions), the weekly trend, the root causes of defects, and the work orders that failed DRFT with the reason —
    what quality.visibility allows (no internal comments, technicians by first name)."""

    template_name = "quality/client.html"
    roles = {"read": frozenset({Role.CLIENT}), "write": frozenset()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.client_quality_overview(access=self.access))
        context["layout"] = "layouts/portal.html"
        return context


# --- Sampling policy ----------------------------------------------------------------------------------------


class SamplingListView(OrgTemplateView):
    """Each program's sampling policy: which submitted work QA reviews."""

    template_name = "quality/sampling_list.html"
    roles = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES}

    def get_context_data(self, **kwargs):
        from programs.models import Program

        context = super().get_context_data(**kwargs)
        programs = list(Program.objects.visible_to(self.access).order_by("code"))
        policies = {p.program_id: p for p in SamplingPolicy.objects.visible_to(self.access)}
        context["rows"] = [(program, policies.get(program.pk)) for program in programs]
        return context


class SamplingPolicyFormView(OrgFormView):
    """Set one program's sampling policy (PMs and admins)."""

    form_class = SamplingPolicyForm
    template_name = "quality/sampling_form.html"
    roles = {"read": PLANNER_ROLES, "write": PLANNER_ROLES}

    def program(self):
        from programs.models import Program

        return self.visible_or_404(Program.objects, self.kwargs["pk"], "program")

    def get_initial(self):
        policy = SamplingPolicy.objects.visible_to(self.access).filter(program=self.program()).first()
        if policy is None:
            policy = SamplingPolicy()
        return {name: getattr(policy, name) for name in sampling.POLICY_FIELDS}

    def get_context_data(self, **kwargs):
        return super().get_context_data(program=self.program(), **kwargs)

    def form_valid(self, form):
        program = self.program()
        try:
            sampling.sampling_policy_set(**self.service_kwargs(), program_id=program.pk, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Sampling policy of {program.code} saved.")
        return redirect(self.org_url("quality:sampling"))
