"""API views of the scheduling app: schedule runs (create, list, detail with progress and summary, proposals,
unscheduled work orders, cancel, publish). PMs, coordinators and admins run and publish; integrators read; another
organization's run is a 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from rollout.api.base import OrgAPIView, OrgServiceViewSet
from rollout.choices import Role
from scheduling import calendar, selectors, services
from scheduling.api import serializers as s
from scheduling.choices import RUN_READ_ROLES, RUN_WRITE_ROLES
from scheduling.filtersets import ScheduleRunFilterSet
from scheduling.models import ScheduleRun

ROLES = {"read": RUN_READ_ROLES, "write": RUN_WRITE_ROLES}


@extend_schema(tags=["scheduling"])
class ScheduleRunViewSet(OrgServiceViewSet):
    """Schedule runs: a background computation proposing a wave's visits (or chosen work orders') over a date range
    with a routing solver (VROOM). Follow `status` and `progress`; when it succeeded, read its `proposals` and
    `unscheduled` work orders (each with a reason code), then `publish`."""

    queryset = ScheduleRun.objects.select_related("program", "wave")
    serializer_class = s.ScheduleRunSerializer
    filterset_class = ScheduleRunFilterSet
    ordering_fields = ["created_at", "date_from"]
    ordering = ["-created_at", "-id"]
    roles = ROLES
    http_method_names = ["get", "post", "head", "options"]

    create_input, create_service = s.ScheduleRunCreateInputSerializer, services.schedule_run_create
    create_status = status.HTTP_202_ACCEPTED

    @extend_schema(
        responses={202: s.ScheduleRunSerializer},
        description=(
            "Start a run over `date_from`–`date_to` (at most 31 days) for a program's `wave` or chosen "
            "`work_order_ids`; it is computed in the background. 400 `no_ready_work_orders`, "
            "`date_range_outside_wave`, `invalid_date_range`; 409 `schedule_run_already_running`."
        ),
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(
        responses=s.ScheduleProposalSerializer(many=True), description="The proposed visits, per technician."
    )
    @action(detail=True, methods=["get"])
    def proposals(self, request, pk=None):
        run = self.get_object()
        page = self.paginate_queryset(selectors.schedule_run_proposals(run=run))
        return self.get_paginated_response(s.ScheduleProposalSerializer(page, many=True).data)

    @extend_schema(
        responses=s.ScheduleUnscheduledSerializer(many=True),
        description="The work orders the run left out, each with a reason code and in plain words.",
    )
    @action(detail=True, methods=["get"])
    def unscheduled(self, request, pk=None):
        run = self.get_object()
        page = self.paginate_queryset(selectors.schedule_run_unscheduled(run=run))
        return self.get_paginated_response(s.ScheduleUnscheduledSerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses=s.ScheduleRunSerializer,
        description="Cancel a queued or running run: it writes nothing. 409 `schedule_run_not_open`.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = self.get_object()
        run = services.schedule_run_cancel(**self.service_kwargs(), schedule_run_id=run.pk)
        return self.output(run)

    @extend_schema(
        request=None,
        responses=s.SchedulePublishResultSerializer,
        description=(
            "Book every proposal not booked yet through the visit services (the checks of manual booking); a "
            "refused one stays unpublished with its `publish_code`. Publishing again never books twice. 409 "
            "`schedule_run_not_succeeded`, `schedule_run_stale` (work orders changed since the run)."
        ),
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        run = self.get_object()
        result = services.schedule_run_publish(**self.service_kwargs(), schedule_run_id=run.pk)
        return Response(s.SchedulePublishResultSerializer(result).data)


def _feed_status(feed) -> dict:
    return {
        "active": feed is not None,
        "created_at": feed.created_at if feed else None,
        "last_read_at": feed.last_read_at if feed else None,
    }


@extend_schema(tags=["scheduling"])
class CalendarFeedView(OrgAPIView):
    """The signed-in technician's calendar feed: its state, a new private link (the old one stops working), or off."""

    roles = {"read": {Role.TECHNICIAN}, "write": {Role.TECHNICIAN}}
    secret_response_fields = frozenset({"url"})

    @extend_schema(responses=s.CalendarFeedSerializer)
    def get(self, request):
        return Response(s.CalendarFeedSerializer(_feed_status(calendar.calendar_feed_get(access=self.access))).data)

    @extend_schema(
        request=None,
        responses={201: s.CalendarFeedIssuedSerializer},
        description="Turn the feed on, or replace its link: the answer carries the new link once.",
    )
    def post(self, request):
        issued = calendar.calendar_feed_issue(**self.service_kwargs())
        url = request.build_absolute_uri(calendar.calendar_feed_path(issued.token))
        body = {**_feed_status(issued.feed), "url": url}
        return Response(s.CalendarFeedIssuedSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, description="Turn the feed off: its link answers 404 from now on.")
    def delete(self, request):
        calendar.calendar_feed_revoke(**self.service_kwargs())
        return Response(status=status.HTTP_204_NO_CONTENT)
