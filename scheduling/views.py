"""Schedule run pages: the list of runs, the form that starts one, and a run's page — its progress while it runs
(polled), then per technician per day the proposed visits (times in the site's zone), totals and the work orders
left out with their reasons, with "Publish" and "Cancel". PMs, coordinators and admins; integrators read."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.forms import add_service_error
from rollout.views.base import OrgConfirmView, OrgFormView, OrgTemplateView
from scheduling import calendar, selectors, services
from scheduling.choices import OPEN_STATUSES, RUN_READ_ROLES, RUN_WRITE_ROLES
from scheduling.forms import ScheduleRunForm
from scheduling.models import ScheduleRun

ROLES = {"read": RUN_READ_ROLES, "write": RUN_WRITE_ROLES}


class RunPageMixin:
    roles = ROLES

    def get_run(self) -> ScheduleRun:
        return self.visible_or_404(ScheduleRun.objects.select_related("program", "wave"), self.kwargs["pk"], "run")


class RunListView(RunPageMixin, OrgTemplateView):
    template_name = "scheduling/run_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["runs"] = selectors.schedule_run_list(access=self.access)[:100]
        return context


class RunCreateView(RunPageMixin, OrgFormView):
    template_name = "scheduling/run_form.html"
    form_class = ScheduleRunForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "access": self.access}

    def form_valid(self, form):
        values = form.cleaned_data
        try:
            run = services.schedule_run_create(
                **self.service_kwargs(),
                program_id=values["program"].pk,
                wave_id=values["wave"].pk if values["wave"] else None,
                date_from=values["date_from"],
                date_to=values["date_to"],
                seed=values["seed"] or 0,
            )
        except ApplicationError as exc:
            add_service_error(form, exc, {"wave": "wave", "date_from": "date_from", "date_to": "date_to"})
            return self.form_invalid(form)
        return redirect(self.org_url("scheduling:schedule-run-detail", pk=run.pk))


class RunDetailView(RunPageMixin, OrgTemplateView):
    template_name = "scheduling/run_detail.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["scheduling/_run_body.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.get_run()
        context["run"] = run
        context["is_open"] = run.status in OPEN_STATUSES
        if run.status == ScheduleRun.Status.SUCCEEDED:
            context["review"] = selectors.schedule_run_review(run=run)
            context["unscheduled"] = list(selectors.schedule_run_unscheduled(run=run))
            context["stale_count"] = len(selectors.schedule_run_stale_ids(run))
            context["to_publish"] = sum(
                1 for row in context["review"] for day in row["days"] for p in day["visits"] if p.visit_id is None
            )
        return context


class RunPublishView(RunPageMixin, OrgTemplateView):
    """POST only: book every proposal not booked yet."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        run = self.get_run()
        try:
            result = services.schedule_run_publish(**self.service_kwargs(), schedule_run_id=run.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            words = f"{result['booked']} visit{'s' if result['booked'] != 1 else ''} booked"
            if result["refused"]:
                words += f"; {result['refused']} refused (reasons below)"
            if result["already"]:
                words += f"; {result['already']} already booked"
            messages.success(request, words + ".")
        return redirect(self.org_url("scheduling:schedule-run-detail", pk=run.pk))


class RunCancelView(RunPageMixin, OrgTemplateView):
    """POST only: cancel a queued or running run."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        run = self.get_run()
        try:
            services.schedule_run_cancel(**self.service_kwargs(), schedule_run_id=run.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Run cancelled: it writes nothing.")
        return redirect(self.org_url("scheduling:schedule-run-detail", pk=run.pk))


# --- The technician's calendar feed ----------------------------------------------------------------------------


class CalendarFeedView(OrgTemplateView):
    """The technician's calendar feed (from their profile): on or off, when a calendar app last read it; "Turn on" /
    "New link" posts and shows the link once."""

    template_name = "scheduling/calendar_feed.html"
    roles = {"read": {Role.TECHNICIAN}, "write": {Role.TECHNICIAN}}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = "layouts/phone.html"
        try:
            context["feed"] = calendar.calendar_feed_get(access=self.access)
        except ApplicationError as exc:
            context["problem"] = exc.message
        return context

    def post(self, request, *args, **kwargs):
        try:
            issued = calendar.calendar_feed_issue(**self.service_kwargs())
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(self.org_url("scheduling:calendar-feed"))
        context = self.get_context_data(**kwargs)
        context["feed"] = issued.feed
        context["link"] = request.build_absolute_uri(calendar.calendar_feed_path(issued.token))
        return self.render_to_response(context)


class CalendarFeedRevokeView(OrgConfirmView):
    """Turn the calendar feed off: GET asks, POST does it."""

    roles = {"read": {Role.TECHNICIAN}, "write": {Role.TECHNICIAN}}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "layout": "layouts/phone.html"}

    def confirm(self) -> dict:
        return {
            "title": "Turn your calendar feed off?",
            "message": "Your calendar app stops receiving your visits, and the link stops working. You can turn the "
            "feed on again later with a new link.",
            "action_label": "Turn off",
            "tone": "danger",
            "icon": "calendar-x",
            "cancel_url": self.org_url("scheduling:calendar-feed"),
        }

    def post(self, request, *args, **kwargs):
        try:
            calendar.calendar_feed_revoke(**self.service_kwargs())
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Your calendar feed is off; its link no longer works.")
        return redirect(self.org_url("scheduling:calendar-feed"))


def calendar_feed_ics(request, token: str):
    """The feed itself, read by calendar apps without signing in: the token in the link decides (404 otherwise)."""
    try:
        feed, visits = calendar.calendar_feed_read(token)
    except NotFound:
        raise Http404() from None
    body = calendar.calendar_ics(feed, visits, base_url=f"{request.scheme}://{request.get_host()}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tutti-visits.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
