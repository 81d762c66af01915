"""Work order pages: the list (filters, sorting, readiness badges, bulk moves with a confirmation and a
per-item result), the detail (site, program, status timeline, readiness checklist with overrides,
shipments, technician assignment, the allowed moves), creating work orders for a program, and shipments.

Every page derives from rollout/views/base.py (role check + `visible_to(access)`), so another
organization's work order or shipment is a 404. Staff, integrators and client viewers read (clients their
own client's programs only, in the portal layout); admins, PMs and coordinators write, always through
workorders.services; only PMs and admins override a readiness gate. A service's refusal is shown next to
the field it names, or as a message.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property

from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, STAFF_ROLES, Role
from rollout.client_view import CLIENT_VIEW
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgConfirmView, OrgDetailView, OrgFormView, OrgTemplateView
from sites.selectors import site_access_hours_rows
from workorders import gate_overrides, selectors, services, shipments
from workorders.choices import REASON_REQUIRED, STATUS_BADGES, Gate, ShipmentStatus, WorkOrderStatus
from workorders.contributions import review_page
from workorders.filtersets import FilterInvalid, WorkOrderFilterSet, selected_work_order_ids
from workorders.forms import (
    AssignForm,
    BulkTransitionForm,
    CreateWorkOrdersForm,
    GateOverrideForm,
    ShipmentForm,
    SiteContactForm,
    TransitionForm,
)
from workorders.models import Shipment, Visit, WorkOrder
from workorders.panels import panels_for
from workorders.readiness import describe_window, local_window, work_order_readiness
from workorders.tables import WorkOrderTable
from workorders.visits.services.planning import SCHEDULABLE

S = WorkOrderStatus
READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
ROLES = {"read": READ_ROLES, "write": STAFF_ROLES}
WRITERS_ONLY = {"read": STAFF_ROLES, "write": STAFF_ROLES}
PLANNERS_ONLY = {"read": PLANNER_ROLES, "write": PLANNER_ROLES}
REFUSED_SHOWN = 200
# The words of each move's button (from the detail page) by target state.
MOVE_LABELS = {
    S.DRAFT: ("Back to draft", "arrow-counterclockwise", "outline-secondary"),
    S.READY: ("Mark ready", "check2-circle", "primary"),
    S.SCHEDULED: ("Schedule", "calendar-check", "primary"),
    S.DISPATCHED: ("Dispatch", "truck", "primary"),
    S.IN_PROGRESS: ("Start work", "tools", "primary"),
    S.SUBMITTED: ("Submit for review", "inbox", "primary"),
    S.ACCEPTED: ("Accept", "patch-check", "success"),
    S.REWORK: ("Send to rework", "arrow-repeat", "outline-danger"),
    S.CLOSED: ("Close", "lock", "primary"),
    S.CANCELLED: ("Cancel work order", "x-circle", "outline-danger"),
}
BACKWARD_LABELS = {
    (S.SCHEDULED, S.READY): ("Unschedule", "calendar-x", "outline-secondary"),
    (S.DISPATCHED, S.SCHEDULED): ("Recall", "arrow-return-left", "outline-danger"),
    (S.REWORK, S.SCHEDULED): ("Schedule return visit", "calendar-check", "primary"),
}


def move_button(from_status: str, to_status: str) -> dict:
    label, icon, tone = BACKWARD_LABELS.get((from_status, to_status)) or MOVE_LABELS[to_status]
    return {
        "to_status": to_status,
        "label": label,
        "icon": icon,
        "tone": tone,
        "needs_reason": (from_status, to_status) in REASON_REQUIRED,
    }


class WorkOrdersPageMixin:
    """The org URL helper, the layout of the caller's role (client viewers get the portal), service arguments,
    and the work order named by the URL (visible to the caller, or 404)."""

    roles = ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = "layouts/portal.html" if self.access.role == Role.CLIENT else "layouts/staff.html"
        context["can_override"] = self.access.role in PLANNER_ROLES
        return context

    def get_work_order(self, pk) -> WorkOrder:
        return self.visible_or_404(WorkOrder.objects.with_summary(), pk, "work order")

    @cached_property
    def work_order(self) -> WorkOrder:
        return self.get_work_order(self.kwargs["pk"])

    def detail_url(self, work_order=None) -> str:
        return self.org_url("workorders:work-order-detail", pk=(work_order or self.work_order).pk)


class OneOfManySelect(forms.Select):
    """A plain select for a multiple-choice filter (the API takes ?status=a&status=b, the page picks one)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [value for value in values if value]


def query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in ("page", *names):
        query.pop(name, None)
    return query.urlencode()


# --- List and bulk moves ------------------------------------------------------------------------------


class WorkOrderListView(WorkOrdersPageMixin, OrgTableView):
    """Work orders with the API's filters, sorting, pagination, a readiness badge per row and bulk moves."""

    template_name = "workorders/work_order_list.html"
    queryset = WorkOrder.objects.with_summary()
    filterset_class = WorkOrderFilterSet
    table_class = WorkOrderTable

    def prepare_filter_form(self, form):
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Number or site"})
        form.fields["program"].empty_label = "Any program"
        form.fields["wave"].empty_label = "Any wave"
        form.fields["wave"].label_from_instance = lambda wave: f"{wave.program.code} · {wave.name}"
        form.fields["wave"].queryset = form.fields["wave"].queryset.select_related("program")
        form.fields["status"].widget = OneOfManySelect(choices=[("", "Any status"), *WorkOrderStatus.choices])
        form.fields["technician"].empty_label = "Any technician"
        form.fields["state"].widget.attrs["placeholder"] = "e.g. IL"
        form.fields["wave"].label = "Wave"
        form.fields["state"].label = "State"
        form.fields["planned_from"].label = "Visit from"
        form.fields["planned_to"].label = "Visit until"
        for name in ("planned_from", "planned_to"):
            form.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        for name in ("client", "site", "unassigned"):
            del form.fields[name]
        if self.access.role == Role.CLIENT:
            del form.fields["technician"]
        form.order_fields(["q", "program", "wave", "status", "state", "technician", "planned_from", "planned_to"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = selectors.work_order_status_counts(queryset=self.object_list)
        context.update(
            status_counts=[(S(value), counts.get(value, 0)) for value in S.values if counts.get(value)],
            bulk_form=BulkTransitionForm(),
            filters_query=query_without(self.request, "sort"),
        )
        return context


class WorkOrderBulkView(WorkOrdersPageMixin, OrgTemplateView):
    """POST only: move the ticked (or all matching) work orders. step=confirm (default) says how many and
    asks; step=apply moves exactly those ids and shows what happened to each."""

    roles = WRITERS_ONLY
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect(self.org_url("workorders:work-orders"))

    def back_url(self) -> str:
        filters = self.request.POST.get("filters", "")
        url = self.org_url("workorders:work-orders")
        return f"{url}?{filters}" if filters else url

    def selection(self) -> list[int]:
        post = self.request.POST
        if "work_order_ids" in post:  # the confirmed step: exactly what was confirmed
            return [int(part) for part in post["work_order_ids"].split(",") if part.strip().isdigit()]
        if post.get("scope") != "all":
            return [int(value) for value in post.getlist("work_order") if value.isdigit()]
        data = QueryDict(post.get("filters", ""))
        values = {key: data.getlist(key) if key == "status" else data.get(key) for key in data}
        try:
            return selected_work_order_ids(values, WorkOrder.objects.visible_to(self.access), self.request)
        except FilterInvalid:
            return []

    def post(self, request, *args, **kwargs):
        form = BulkTransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose the status to move the work orders to.")
            return redirect(self.back_url())
        to_status, reason = S(form.cleaned_data["to_status"]), form.cleaned_data["reason"]
        ids = self.selection()
        if not ids:
            messages.warning(request, "Tick at least one work order (or choose all matching) first.")
            return redirect(self.back_url())
        if request.POST.get("step") != "apply":
            return self.render_confirm(ids, to_status, reason)
        try:
            result = services.work_order_bulk_transition(
                **self.service_kwargs(), work_order_ids=ids, to_status=to_status, reason=reason
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(self.back_url())
        messages.success(request, f"{result.moved} work order{'s' * (result.moved != 1)} moved to {to_status.label}.")
        refused = result.refused_items
        return self.render_to_response_with(
            "workorders/bulk_result.html",
            result=result,
            to_status=to_status,
            refused_rows=refused[:REFUSED_SHOWN],
            refused_more=max(0, len(refused) - REFUSED_SHOWN),
            back_url=self.back_url(),
        )

    def render_confirm(self, ids: list[int], to_status: WorkOrderStatus, reason: str):
        count = len(ids)
        noun = f"work order{'s' * (count != 1)}"
        current = selectors.work_order_status_counts(
            queryset=WorkOrder.objects.visible_to(self.access).filter(pk__in=ids)
        )
        details = [(f"Now {S(status).label}", number) for status, number in sorted(current.items())]
        if reason:
            details.append(("Reason", reason))
        confirm = {
            "title": f"Move {count} {noun} to {to_status.label}?",
            "message": (
                f"{count} {noun} selected. Each is checked on its own: those that cannot make this move stay as "
                "they are, and the next page says why. Nothing changes until you confirm."
            ),
            "details": details,
            "action_label": f"Move {count} {noun}",
            "tone": "danger" if to_status == S.CANCELLED else "primary",
            "icon": STATUS_BADGES[to_status][1],
            "cancel_url": self.back_url(),
            "fields": {
                "step": "apply",
                "to_status": to_status.value,
                "reason": reason,
                "work_order_ids": ",".join(str(pk) for pk in ids),
                "filters": self.request.POST.get("filters", ""),
            },
        }
        return self.render_to_response_with("components/confirm_page.html", confirm=confirm)

    def render_to_response_with(self, template: str, **extra):
        self.template_name = template
        return self.render_to_response(self.get_context_data(**extra))


class WorkOrderCreateView(WorkOrdersPageMixin, OrgFormView):
    """Create the work orders of a program (or one wave) from its enrollments; shows what was created."""

    roles = WRITERS_ONLY
    form_class = CreateWorkOrdersForm
    template_name = "workorders/work_order_create.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "access": self.access}

    def get_initial(self):
        return {"program": self.request.GET.get("program"), "wave": self.request.GET.get("wave")}

    def form_valid(self, form):
        program, wave = form.cleaned_data["program"], form.cleaned_data["wave"]
        try:
            result = services.work_orders_create_for_program(
                **self.service_kwargs(), program_id=program.pk, wave_id=wave.pk if wave else None
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{result.created} work order{'s' * (result.created != 1)} created for {program.code}"
            + (f" ({result.existing} already existed)." if result.existing else "."),
        )
        return redirect(f"{self.org_url('workorders:work-orders')}?program={program.pk}")


# --- Detail -------------------------------------------------------------------------------------------


class WorkOrderDetailView(WorkOrdersPageMixin, OrgDetailView):
    """One work order: site, program, status timeline, readiness checklist (with overrides), shipments,
    the technician and window, and buttons for exactly the moves allowed now."""

    template_name = "workorders/work_order_detail.html"
    queryset = WorkOrder.objects.with_summary()
    context_object_name = "work_order"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        work_order, organization = self.object, self.access.organization
        readiness = work_order_readiness(organization=organization, work_order=work_order)
        timeline = selectors.work_order_timeline(organization=organization, work_order=work_order)
        visits = list(
            Visit.objects.visible_to(self.access)
            .filter(work_order=work_order)
            .select_related("technician")
            .order_by("sequence")
        )
        open_visit = next((visit for visit in visits if visit.is_open), None)
        context.update(
            readiness=readiness,
            checklist=[
                {
                    "result": gate,
                    "reason": CLIENT_VIEW.gate_reason(self.access, gate),
                    "next_step": None if gate.green else self._next_step(gate.gate, work_order, open_visit),
                    "form": GateOverrideForm(initial={"gate": gate.gate}, prefix=f"gate-{gate.gate}"),
                }
                for gate in readiness.gates
            ],
            moves=[
                {**move_button(work_order.status, target), "blocked": target == S.DISPATCHED and not readiness.ready}
                for target in work_order.allowed_moves
                # With a visit booked, "back to ready" is cancelling the visit (on the visit's page).
                if not (target == S.READY and open_visit)
            ],
            # Submitted work is accepted or sent back by a QA review only: the page links to it instead.
            review_url=review_page(organization.slug, work_order) if work_order.status == S.SUBMITTED else "",
            shipments=list(Shipment.objects.visible_to(self.access).filter(work_order=work_order)),
            visits=visits,
            can_book=work_order.status in SCHEDULABLE and open_visit is None,
            timeline=[
                {"event": event, "text": describe_event(event), "is_status": _is_status(event)}
                for event in timeline
                if CLIENT_VIEW.may_see(self.access, "timeline_internal") or _is_status(event)
            ],
            window=describe_window(work_order),
            access_hours=site_access_hours_rows(work_order.site),
            site_contact_form=SiteContactForm(),
            status_badge=STATUS_BADGES.get(work_order.status),
            # Once a visit is booked, its technician and window change on the visit (reschedule, reassign).
            can_plan=work_order.status in services.ASSIGNABLE and open_visit is None,
            # A gate may be overridden until dispatch, visit booked or not (the checklist offers it).
            can_override_now=work_order.status in gate_overrides.OVERRIDABLE,
            open_visit=open_visit,
            shipments_open=work_order.status in shipments.SHIPMENT_EDITABLE,
            panels=panels_for("work_order", self.access, work_order),
        )
        return context

    def _next_step(self, gate: str, work_order: WorkOrder, open_visit) -> tuple[str, str] | None:
        """What to do to turn a red gate green: (sentence, link) for the people who may do it, else None."""
        if not self.can_write():
            return None
        here = self.org_url("workorders:work-order-detail", pk=work_order.pk)
        visit = self.org_url("visits:visit-detail", pk=open_visit.pk) if open_visit else None
        plan = visit or self.org_url("workorders:work-order-assign", pk=work_order.pk)
        steps = {
            Gate.SOW: ("Approve the program's SOW.", self.org_url("programs:program-detail", pk=work_order.program_id)),
            Gate.VARIATIONS: (
                "Decide the site's pending variations.",
                self.org_url("programs:program-variations", pk=work_order.program_id) + "?status=pending",
            ),
            Gate.MATERIALS: ("Record the shipments and mark them delivered.", f"{here}#shipments"),
            Gate.SITE_CONTACT: ("Confirm the visit with the store's contact.", f"{here}#site-contact"),
            Gate.VISIT_WINDOW: (
                "Reschedule the visit into the store's access hours." if visit else "Plan a window the store allows.",
                plan,
            ),
            Gate.DURATION: (
                "Lengthen the visit to the packet's estimate, or book a second visit for the rest."
                if visit
                else "Plan a window as long as the packet's estimate.",
                plan,
            ),
            Gate.TECHNICIAN: (
                "Reassign the visit to an eligible technician." if visit else "Assign an eligible technician.",
                plan,
            ),
            Gate.PACKET: (
                "The technician acknowledges the packet on the phone; send it or remind them.",
                self.org_url("packets:packet-work-order", work_order_id=work_order.pk),
            ),
        }
        return steps.get(gate)


def _is_status(event) -> bool:
    return event.verb == "work_order.transitioned"


def _status_label(value) -> str:
    return S(value).label if value in S.values else str(value)


def describe_event(event) -> str:
    """One line of the timeline, in words."""
    before, after = event.before or {}, event.after or {}
    if event.verb == "work_order.transitioned":
        return f"{_status_label(before.get('status'))} → {_status_label(after.get('status'))}"
    if event.verb == "work_order.assigned":
        return "Technician and visit window set"
    if event.verb == "work_order.unassigned":
        return "Technician and visit window cleared"
    if event.verb == "work_order.site_contact_confirmed":
        note = after.get("note")
        return "Site contact confirmed" + (f": {note}" if note else "")
    if event.verb == "work_order.gate_overridden":
        return f"Gate overridden: {after.get('gate') or before.get('gate')}"
    if event.verb == "work_order.gate_override_revoked":
        return f"Override withdrawn: {before.get('gate')}"
    if event.verb.startswith("shipment."):
        return f"Shipment {event.verb.split('.', 1)[1]}: {event.target_label}"
    return event.verb


class WorkOrderTransitionView(WorkOrdersPageMixin, OrgFormView):
    """GET: confirm one move (with a reason field); POST: move through the service."""

    roles = WRITERS_ONLY
    form_class = TransitionForm
    template_name = "workorders/transition.html"

    def get_initial(self):
        return {"to_status": self.request.GET.get("to", "")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        raw = form.data.get("to_status") if form.is_bound else form.initial.get("to_status")
        if raw not in self.work_order.allowed_moves:
            raise Http404("That move is not available.")
        context.update(work_order=self.work_order, move=move_button(self.work_order.status, raw), to_status=S(raw))
        return context

    def form_valid(self, form):
        to_status = form.cleaned_data["to_status"]
        try:
            services.work_order_transition(
                **self.service_kwargs(),
                work_order_id=self.work_order.pk,
                to_status=to_status,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            if exc.field == "reason":
                add_service_error(form, exc)
                return self.form_invalid(form)
            messages.error(self.request, exc.message)
            return redirect(self.detail_url())
        messages.success(self.request, f"{self.work_order.number} moved to {S(to_status).label}.")
        return redirect(self.detail_url())


class WorkOrderActionView(WorkOrdersPageMixin, OrgFormView):
    """Base of the detail page's small POST forms; a GET goes back to the detail page."""

    roles = WRITERS_ONLY
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect(self.detail_url())

    def form_invalid(self, form):
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(self.request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(self.detail_url())

    def act(self, form) -> str:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            message = self.act(form)
        except ApplicationError as exc:
            messages.error(self.request, exc.message)
        else:
            messages.success(self.request, message)
        return redirect(self.detail_url())


class GateOverrideView(WorkOrderActionView):
    roles = PLANNERS_ONLY
    form_class = GateOverrideForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "prefix": f"gate-{self.request.POST.get('gate_key', '')}"}

    def act(self, form) -> str:
        gate_overrides.work_order_gate_override(
            **self.service_kwargs(),
            work_order_id=self.work_order.pk,
            gate=form.cleaned_data["gate"],
            reason=form.cleaned_data["reason"],
        )
        return "Gate overridden; the reason is on the checklist and in the audit trail."


class GateOverrideRevokeView(WorkOrderActionView):
    roles = PLANNERS_ONLY
    form_class = forms.Form

    def act(self, form) -> str:
        gate_overrides.work_order_gate_override_revoke(
            **self.service_kwargs(), work_order_id=self.work_order.pk, gate=self.kwargs["gate"]
        )
        return "Override withdrawn."


class SiteContactConfirmView(WorkOrderActionView):
    form_class = SiteContactForm

    def act(self, form) -> str:
        services.work_order_confirm_site_contact(
            **self.service_kwargs(), work_order_id=self.work_order.pk, note=form.cleaned_data["note"]
        )
        return "Site contact confirmation recorded."


class WorkOrderAssignView(WorkOrdersPageMixin, OrgFormView):
    """Pick the visit day and window (site's local time), then one of the technicians qualified for it,
    nearest first with their distance. "Check" refreshes the list for another day."""

    roles = WRITERS_ONLY
    form_class = AssignForm
    template_name = "workorders/assign.html"
    refresh_fields = ("day", "start", "end")

    def get(self, request, *args, **kwargs):
        return self.to_open_visit() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.to_open_visit() or super().post(request, *args, **kwargs)

    def to_open_visit(self):
        """A booked visit is planned on its own page (reschedule, reassign, cancel): send the planner there."""
        visit = Visit.objects.visible_to(self.access).filter(work_order=self.work_order).open().first()
        if visit is None:
            return None
        messages.info(
            self.request,
            f"{self.work_order.number} has visit {visit.sequence} booked: change its technician or window here "
            "(reschedule, reassign or cancel the visit).",
        )
        return redirect(self.org_url("visits:visit-detail", pk=visit.pk))

    def moment(self):
        """The day and times asked for (GET or POST), else the planned window, else tomorrow 09:00–12:00."""
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        window = local_window(self.work_order)
        zone = ZoneInfo(self.work_order.site.timezone)
        default_day = window[0].date() if window else self.first_workday(zone)
        default_start = window[0].time() if window else time(9, 0)
        default_end = window[1].time() if window else time(12, 0)
        try:
            day = datetime.strptime(source.get("day", ""), "%Y-%m-%d").date()
        except ValueError:
            day = default_day
        times = []
        for name, default in (("start", default_start), ("end", default_end)):
            try:
                times.append(datetime.strptime(source.get(name, ""), "%H:%M").time())
            except ValueError:
                times.append(default)
        return day, times[0], times[1]

    def first_workday(self, zone):
        """Tomorrow, or the start of the work order's wave if later, moved to a weekday."""
        day = (timezone.now().astimezone(zone) + timedelta(days=1)).date()
        wave = self.work_order.enrollment.wave if self.work_order.enrollment_id else None
        if wave is not None and wave.start_date > day:
            day = wave.start_date
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    @cached_property
    def candidates(self):
        day, start, _ = self.moment()
        return selectors.work_order_technician_candidates(
            organization=self.access.organization, work_order=self.work_order, on_date=day, at_time=start
        )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        return {**kwargs, "site_timezone": self.work_order.site.timezone, "organization": self.access.organization}

    def get_initial(self):
        day, start, end = self.moment()
        return {
            "day": day,
            "start": start,
            "end": end,
            "technician": self.work_order.technician_id,
            "schedule": self.work_order.status in (S.READY, S.REWORK),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.work_order.status not in services.ASSIGNABLE:
            raise Http404("This work order cannot be planned now.")
        context.update(
            work_order=self.work_order,
            candidates=self.candidates,
            access_hours=site_access_hours_rows(self.work_order.site),
            can_schedule=self.work_order.status in (S.READY, S.REWORK),
        )
        return context

    def form_valid(self, form):
        try:
            services.work_order_assign(
                **self.service_kwargs(),
                work_order_id=self.work_order.pk,
                technician_id=form.cleaned_data["technician"],
                planned_start=form.cleaned_data["planned_start"],
                planned_end=form.cleaned_data["planned_end"],
                schedule=form.cleaned_data["schedule"],
            )
        except ApplicationError as exc:
            add_service_error(form, exc, {"planned_start": "start", "planned_end": "end"})
            return self.form_invalid(form)
        messages.success(self.request, f"{self.work_order.number}: technician and visit window saved.")
        return redirect(self.detail_url())


# --- Shipments ----------------------------------------------------------------------------------------


class ShipmentFormView(WorkOrdersPageMixin, OrgFormView):
    """Record a shipment for the work order, or change one (`shipment` in the URL)."""

    roles = WRITERS_ONLY
    form_class = ShipmentForm
    template_name = "workorders/shipment_form.html"

    @cached_property
    def shipment(self) -> Shipment | None:
        pk = self.kwargs.get("shipment")
        if pk is None:
            return None
        return self.visible_or_404(Shipment.objects, pk, "shipment", work_order=self.work_order)

    def get_initial(self):
        shipment = self.shipment
        if shipment is None:
            return {}
        manual = shipment.status in (ShipmentStatus.EXCEPTION, ShipmentStatus.CANCELLED)
        return {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "status": shipment.status if manual else "",
            "shipped_on": shipment.shipped_on,
            "expected_delivery": shipment.expected_delivery,
            "delivered_on": shipment.delivered_on,
            "notes": shipment.notes,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(work_order=self.work_order, shipment=self.shipment)
        return context

    def form_valid(self, form):
        values = dict(form.cleaned_data)
        try:
            if self.shipment is None:
                shipments.shipment_create(**self.service_kwargs(), work_order_id=self.work_order.pk, **values)
            else:
                shipments.shipment_update(**self.service_kwargs(), shipment_id=self.shipment.pk, **values)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Shipment saved.")
        return redirect(self.detail_url() + "#shipments")


class ShipmentDeleteView(WorkOrdersPageMixin, OrgConfirmView):
    """Confirm, then remove a shipment recorded by mistake."""

    roles = WRITERS_ONLY

    @cached_property
    def shipment(self) -> Shipment:
        return self.visible_or_404(Shipment.objects, self.kwargs["shipment"], "shipment", work_order=self.work_order)

    def confirm(self) -> dict:
        shipment = self.shipment
        return {
            "title": f"Remove shipment {shipment}?",
            "message": "Only for a shipment recorded by mistake; if it was really sent, mark it cancelled instead.",
            "details": [("Work order", self.work_order.number), ("Status", shipment.get_status_display())],
            "action_label": "Remove shipment",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.detail_url() + "#shipments",
        }

    def post(self, request, *args, **kwargs):
        try:
            shipments.shipment_delete(**self.service_kwargs(), shipment_id=self.shipment.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Shipment removed.")
        return redirect(self.detail_url() + "#shipments")
