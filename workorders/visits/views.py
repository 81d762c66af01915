"""Visit pages under /o/<org>/: the dispatch board of a day (every visit with its state, late and missing
check-ins standing out, counts per state; it refreshes itself every 20 s with htmx), a technician's week, booking
a visit for a work order (qualified technicians nearest first, with distance; refusals shown on the form), one
visit's page with rescheduling, reassigning, cancelling and no-show, and the photo and signature files.

Thin: scoped base classes (role check + `visible_to(access)`), one service per action. Files are streamed only
after the scoped lookup, so another organization's — or another technician's — photo is a 404 like a missing one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import View
from django.views.generic.detail import SingleObjectMixin

from rollout.choices import FULL_READ_ROLES, STAFF_ROLES, Role
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.views.base import OrgDetailView, OrgFormView, OrgPageMixin, OrgTemplateView
from sites.selectors import site_access_hours_rows
from technicians.models import Technician
from workorders.choices import BEFORE_ARRIVAL, BOOKED_STATUSES, STATE_BADGES, VisitState
from workorders.models import Visit, VisitPhoto, WorkOrder
from workorders.panels import panels_for
from workorders.readiness import window_shorter_than_estimate, work_order_estimate_minutes
from workorders.selectors import work_order_technician_candidates
from workorders.visits import selectors
from workorders.visits.forms import (
    FIELD_MAP,
    DispatchFilterForm,
    VisitCancelForm,
    VisitReassignForm,
    VisitRescheduleForm,
    VisitScheduleForm,
)
from workorders.visits.services import planning

BOARD_ROLES = {"read": FULL_READ_ROLES, "write": STAFF_ROLES}
PLANNING_ROLES = {"read": STAFF_ROLES, "write": STAFF_ROLES}
VISIT_READ_ROLES = {"read": FULL_READ_ROLES | {Role.CLIENT}, "write": STAFF_ROLES}
FILE_ROLES = {"read": FULL_READ_ROLES | {Role.CLIENT, Role.TECHNICIAN}}
REFRESH_SECONDS = 20


def _parse_day(raw: str | None) -> date | None:
    try:
        return datetime.strptime(raw or "", "%Y-%m-%d").date()
    except ValueError:
        return None


def organization_today(organization) -> date:
    return timezone.now().astimezone(ZoneInfo(organization.timezone)).date()


class VisitPageMixin:
    """The caller's layout (client viewers get the portal)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = "layouts/portal.html" if self.access.role == Role.CLIENT else "layouts/staff.html"
        return context


# --- The dispatch board --------------------------------------------------------------------------------


class DispatchBoardView(VisitPageMixin, OrgTemplateView):
    """Every visit of a day (the sites' local date) with its state, technician, site and local times; late and
    missing check-ins stand out; counts per state; filters by program, technician and state. The board region
    refreshes itself every 20 s (htmx) from `dispatch-board`, which renders only that region."""

    roles = BOARD_ROLES
    template_name = "workorders/visits/board.html"

    def filters(self) -> DispatchFilterForm:
        form = DispatchFilterForm(self.request.GET or None, access=self.access)
        form.is_valid()
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filters()
        values = getattr(form, "cleaned_data", {}) if form.is_bound else {}
        day = values.get("date") or organization_today(self.access.organization)
        program, technician, state = values.get("program"), values.get("technician"), values.get("state") or ""
        board = selectors.dispatch_board(
            access=self.access,
            day=day,
            program_id=program.pk if program else None,
            technician_id=technician.pk if technician else None,
            state=state,
        )
        query = self.request.GET.copy()
        query.pop("date", None)
        rest = query.urlencode()
        context.update(
            form=form,
            board=board,
            day=day,
            today=organization_today(self.access.organization),
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            other_filters=f"&{rest}" if rest else "",
            board_query=self.request.GET.urlencode(),
            refresh_seconds=REFRESH_SECONDS,
            filters_active=bool(program or technician or state),
            state_filter=state,
        )
        return context


class DispatchBoardRegionView(DispatchBoardView):
    """The board region alone (summary and rows), for htmx's periodic refresh."""

    template_name = "workorders/visits/_board.html"


class TechnicianWeekView(VisitPageMixin, OrgDetailView):
    """One technician's week (Monday first, or from ?start=): visits per day by the site's local date, with
    their state and local times, and time off."""

    roles = BOARD_ROLES
    model = Technician
    template_name = "workorders/visits/technician_week.html"
    context_object_name = "technician"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = organization_today(self.access.organization)
        start = _parse_day(self.request.GET.get("start")) or today - timedelta(days=today.weekday())
        context.update(
            days=selectors.technician_week(access=self.access, technician=self.object, start=start),
            start=start,
            end=start + timedelta(days=6),
            previous_start=start - timedelta(days=7),
            next_start=start + timedelta(days=7),
            today=today,
        )
        return context


# --- Booking a visit ----------------------------------------------------------------------------------------


class VisitScheduleView(VisitPageMixin, OrgFormView):
    """Book a visit for a work order: the day and window (site's local time), then one of the technicians
    qualified then, nearest first with their distance (busy ones say so). "Check" refreshes the list."""

    roles = PLANNING_ROLES
    form_class = VisitScheduleForm
    template_name = "workorders/visits/schedule.html"
    refresh_fields = ("day", "start", "end")

    @cached_property
    def work_order(self) -> WorkOrder:
        return self.visible_or_404(WorkOrder.objects.with_summary(), self.kwargs["pk"], "work order")

    def moment(self) -> tuple[date, time, time]:
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        zone = ZoneInfo(self.work_order.site.timezone)
        default_day = (timezone.now().astimezone(zone) + timedelta(days=1)).date()
        while default_day.weekday() >= 5:
            default_day += timedelta(days=1)
        day = _parse_day(source.get("day")) or default_day
        times = []
        for name, default in (("start", time(9, 0)), ("end", time(12, 0))):
            try:
                times.append(datetime.strptime(source.get(name, ""), "%H:%M").time())
            except ValueError:
                times.append(default)
        return day, times[0], times[1]

    @cached_property
    def candidates(self) -> list[Technician]:
        day, start, end = self.moment()
        organization = self.access.organization
        found = work_order_technician_candidates(
            organization=organization, work_order=self.work_order, on_date=day, at_time=start
        )
        zone = ZoneInfo(self.work_order.site.timezone)
        window_start = datetime.combine(day, start, tzinfo=zone)
        window_end = datetime.combine(day, end, tzinfo=zone)
        if window_end > window_start and found:
            busy = {}
            overlapping = (
                Visit.objects.for_organization(organization)
                .filter(
                    technician__in=[technician.pk for technician in found],
                    status__in=BOOKED_STATUSES,
                    window_start__lt=window_end,
                    window_end__gt=window_start,
                )
                .select_related("work_order", "work_order__site")
            )
            for visit in overlapping:
                busy.setdefault(visit.technician_id, visit)
            for technician in found:
                technician.busy_with = busy.get(technician.pk)
        return found

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def get_initial(self):
        day, start, end = self.moment()
        return {"day": day, "start": start, "end": end}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        open_visit = Visit.objects.for_organization(self.access.organization).filter(work_order=self.work_order).open()
        context.update(
            work_order=self.work_order,
            candidates=self.candidates,
            access_hours=site_access_hours_rows(self.work_order.site),
            open_visit=open_visit.first(),
            schedulable=self.work_order.status in planning.SCHEDULABLE,
            too_short=self.too_short(),
        )
        return context

    def too_short(self) -> str:
        """A warning when the chosen window is shorter than the packet's estimate (booking is still allowed)."""
        day, start, end = self.moment()
        zone = ZoneInfo(self.work_order.site.timezone)
        minutes = work_order_estimate_minutes(organization=self.access.organization, work_order=self.work_order)
        return window_shorter_than_estimate(
            minutes=minutes,
            start=datetime.combine(day, start, tzinfo=zone),
            end=datetime.combine(day, end, tzinfo=zone),
        )

    def form_valid(self, form):
        values = form.cleaned_data
        try:
            visit = planning.visit_schedule(
                **self.service_kwargs(),
                work_order_id=self.work_order.pk,
                technician_id=values["technician"],
                day=values["day"],
                start_time=values["start"],
                end_time=values["end"],
            )
        except ApplicationError as exc:
            add_service_error(form, exc, FIELD_MAP)
            return self.form_invalid(form)
        messages.success(self.request, f"Visit {visit.sequence} of {self.work_order.number} booked.")
        if short := self.too_short():
            messages.warning(self.request, short)
        return redirect(self.org_url("visits:visit-detail", pk=visit.pk))


# --- One visit ----------------------------------------------------------------------------------------------


class VisitMixin(VisitPageMixin):
    @cached_property
    def visit(self) -> Visit:
        return self.visible_or_404(
            selectors.visit_detail_queryset(Visit.objects.with_summary()), self.kwargs["pk"], "visit"
        )

    def detail_url(self) -> str:
        return self.org_url("visits:visit-detail", pk=self.visit.pk)


class VisitDetailView(VisitMixin, OrgDetailView):
    """One visit: window (site time), state, technician, check-in (position, distance, flag), the packet's tasks
    with results and photo thumbnails, evidence still missing, sign-off, check-out; and for coordinators the
    moves allowed now (reschedule, reassign, cancel, no-show)."""

    roles = VISIT_READ_ROLES
    model = Visit
    template_name = "workorders/visits/visit_detail.html"
    context_object_name = "visit"

    def get_queryset(self):
        return selectors.visit_detail_queryset(super().get_queryset().with_summary())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visit = self.object
        packet = selectors.visit_effective_packet(visit)
        results = {result.task_key: result for result in visit.task_results.all()}
        photos: dict[str, list[VisitPhoto]] = {}
        for photo in visit.photos.all():
            photos.setdefault(photo.task_key, []).append(photo)
        state = visit.state
        context.update(
            work_order=visit.work_order,
            state=state,
            state_label=VisitState(state).label,
            badge=STATE_BADGES[state],
            window=selectors.describe_visit_window(visit),
            packet=packet,
            tasks=[
                {"task": task, "result": results.get(task.key), "photos": photos.get(task.key, [])}
                for task in selectors.packet_tasks(packet)
            ],
            missing=selectors.visit_missing_evidence(visit) if visit.status == "checked_in" else [],
            signed=selectors.visit_is_signed(visit),
            can_plan=self.can_write() and visit.status in BEFORE_ARRIVAL,
            can_no_show=self.can_write() and visit.status in BEFORE_ARRIVAL and visit.window_start <= timezone.now(),
            cancel_form=VisitCancelForm(),
            follow_ups=list(visit.follow_ups.all()),
            panels=panels_for("visit", self.access, visit),
        )
        return context


class VisitPlanningFormView(VisitMixin, OrgFormView):
    """A coordinator's form on one visit (reschedule, reassign, cancel): shows the visit and its window, calls the
    service in `act` (returning the message to show), puts a refusal on the form, and goes back to the visit."""

    roles = PLANNING_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            visit=self.visit, work_order=self.visit.work_order, window=selectors.describe_visit_window(self.visit)
        )
        return context

    def act(self, values: dict) -> str:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            message = self.act(form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc, FIELD_MAP)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(self.detail_url())


class VisitRescheduleView(VisitPlanningFormView):
    form_class = VisitRescheduleForm
    template_name = "workorders/visits/reschedule.html"

    def get_initial(self):
        zone = selectors.site_zone(self.visit)
        start, end = self.visit.window_start.astimezone(zone), self.visit.window_end.astimezone(zone)
        return {"day": start.date(), "start": start.time(), "end": end.time()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["access_hours"] = site_access_hours_rows(self.visit.work_order.site)
        return context

    def act(self, values: dict) -> str:
        planning.visit_reschedule(
            **self.service_kwargs(),
            visit_id=self.visit.pk,
            day=values["day"],
            start_time=values["start"],
            end_time=values["end"],
            reason=values["reason"],
        )
        return "Visit moved; the technician is told."


class VisitReassignView(VisitPlanningFormView):
    form_class = VisitReassignForm
    template_name = "workorders/visits/reassign.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visit = self.visit
        local_start = visit.window_start.astimezone(selectors.site_zone(visit))
        candidates = work_order_technician_candidates(
            organization=self.access.organization,
            work_order=visit.work_order,
            on_date=local_start.date(),
            at_time=local_start.time(),
        )
        context["candidates"] = [technician for technician in candidates if technician.pk != visit.technician_id]
        return context

    def act(self, values: dict) -> str:
        planning.visit_reassign(
            **self.service_kwargs(), visit_id=self.visit.pk, technician_id=values["technician"], reason=values["reason"]
        )
        return "Visit reassigned; both technicians are told."


class VisitCancelView(VisitPlanningFormView):
    form_class = VisitCancelForm
    template_name = "workorders/visits/cancel.html"

    def act(self, values: dict) -> str:
        planning.visit_cancel(**self.service_kwargs(), visit_id=self.visit.pk, reason=values["reason"])
        return "Visit cancelled; the work order is ready for another visit."


class VisitNoShowView(VisitMixin, OrgPageMixin, View):
    """POST: record that nobody came."""

    roles = PLANNING_ROLES
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            planning.visit_mark_no_show(**self.service_kwargs(), visit_id=self.visit.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Recorded as a no-show.")
        return redirect(self.detail_url())


# --- Files ------------------------------------------------------------------------------------------------


class VisitPhotoFileView(OrgPageMixin, SingleObjectMixin, View):
    """A visit photo (JPEG), streamed after the scoped lookup (no public URL exists)."""

    roles = FILE_ROLES
    model = VisitPhoto
    thumbnail = False

    def get(self, request, *args, **kwargs):
        photo = self.get_object()
        stored = photo.thumbnail if self.thumbnail else photo.file
        if not stored:
            raise Http404("No such photo.")
        response = FileResponse(stored.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class VisitPhotoThumbnailView(VisitPhotoFileView):
    thumbnail = True


class VisitSignatureView(OrgPageMixin, SingleObjectMixin, View):
    """A visit's drawn signature (PNG), streamed after the scoped lookup."""

    roles = FILE_ROLES
    model = Visit

    def get(self, request, *args, **kwargs):
        visit = self.get_object()
        if not selectors.visit_is_signed(visit) or not visit.sign_off.signature:
            raise Http404("This visit has no signature.")
        response = FileResponse(visit.sign_off.signature.open("rb"), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response
