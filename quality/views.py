"""Quality pages: the Quality home (DRFT per program against target, weekly trend, Pareto of root causes, queue,
failed work orders), the DRFT drill-down, the review queue and the review page (packet tasks beside the evidence;
accept, or reject with defects — keyboard driven).

Reads are for staff and integrators; decisions for coordinators, PMs and admins. Every lookup is scoped through
the base classes (`visible_to`), so another organization's work order is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from quality import selectors, services
from quality.choices import RootCause, Severity
from quality.filtersets import ReviewQueueFilterSet
from quality.models import DefectCode
from quality.tables import ReviewQueueTable
from rollout.choices import FULL_READ_ROLES, STAFF_ROLES, Role
from rollout.errors import ApplicationError
from rollout.tables import OrgTableView
from rollout.views.base import OrgTemplateView
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
        for dimension, key in prefix.items():
            so_far[dimension] = key
            crumbs.append({"dimension": dimension, "key": key, "query": urlencode(so_far)})
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
