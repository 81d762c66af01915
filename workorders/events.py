"""The events of the workorders app (work-order transitions, visit actions, packet versions): their catalogue
entries, the payloads and who must hear of each. The services emit them inside their transactions
(rollout.events); the inbox, e-mail and webhooks pick them up after commit.

Audiences are small on purpose: the technician hears about changes to their own work (mandatory when it is a
cancelled or moved visit or a changed packet); coordinators and PMs hear about work waiting for them (submitted
work, a no-show). Everything else (a confirmation, a check-in) is for webhooks only."""

from __future__ import annotations

from django.urls import reverse

from rollout.choices import Role
from rollout.events import EventType, event_emit, event_type_register
from rollout.models import Membership

# Who hears about work waiting for the office: submitted work, a no-show.
OFFICE_ROLES = (Role.COORDINATOR, Role.PM)
TECHNICIAN = (Role.TECHNICIAN,)
NOBODY = ()  # webhooks only

WORK_ORDER_EXAMPLE = {
    "organization": "northwind-rollouts",
    "work_order_id": 4812,
    "number": "SCO-2026-000123",
    "program_code": "sco",
    "site_id": 311,
    "site_code": "HF-0042",
    "site_name": "Harbor Foods #42, Naperville",
    "technician_id": 57,
    "window": "Wed Mar 4, 2026, 09:00–13:00 (America/Chicago)",
}
VISIT_EXAMPLE = {
    **WORK_ORDER_EXAMPLE,
    "visit_id": 9021,
    "sequence": 1,
    "status": "scheduled",
    "window_start": "2026-03-04T15:00:00Z",
    "window_end": "2026-03-04T19:00:00Z",
    "site_timezone": "America/Chicago",
}


def office_recipients(organization) -> list[int]:
    """The active coordinators and PMs of the organization (their user ids)."""
    return list(
        Membership.objects.for_organization(organization)
        .active()
        .filter(role__in=OFFICE_ROLES)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _url(name: str, event, **kwargs) -> str:
    return reverse(name, kwargs={"org": event.organization.slug, **kwargs})


def _work_order_link(event, role: str) -> str | None:
    work_order_id = event.data.get("work_order_id") or event.subject_id
    if role == Role.TECHNICIAN:
        if event.data.get("visit_id"):
            return _url("field:field-visit", event, pk=event.data["visit_id"])
        return _url("packets:packet-work-order", event, work_order_id=work_order_id)
    if role == Role.CLIENT:
        return None
    return _url("workorders:work-order-detail", event, pk=work_order_id)


def _visit_link(event, role: str) -> str | None:
    if role == Role.TECHNICIAN:
        return _url("field:field-visit", event, pk=event.subject_id)
    if role == Role.CLIENT:
        return None
    return _url("visits:visit-detail", event, pk=event.subject_id)


def _at(data: dict) -> str:
    return f"{data['number']} at {data['site_code']}"


def _window(data: dict) -> str:
    return f", {data['window']}" if data.get("window") else ""


# --- Work orders ----------------------------------------------------------------------------------------

WORK_ORDER_TRANSITIONED = event_type_register(
    EventType(
        name="work_order.transitioned",
        title="Work order moved",
        audience=TECHNICIAN,
        subject="work_order",
        description=(
            "A work order moved along its state machine (every move). The technician hears of a dispatch, a recall, "
            "a cancellation and a return visit when no visit notice already tells them."
        ),
        example={
            **WORK_ORDER_EXAMPLE,
            "from_status": "scheduled",
            "to_status": "dispatched",
            "from_label": "Scheduled",
            "to_label": "Dispatched",
            "reason": "",
        },
        describe=lambda d: f"{_at(d)}: {d['from_label']} → {d['to_label']}{_window(d)}.",
        link=_work_order_link,
    )
)
WORK_ORDER_SUBMITTED = event_type_register(
    EventType(
        name="work_order.submitted",
        title="Work submitted for review",
        audience=OFFICE_ROLES,
        subject="work_order",
        description="A technician checked out complete work: it waits for QA review (coordinators and PMs).",
        example={**WORK_ORDER_EXAMPLE, "visit_id": 9021},
        describe=lambda d: f"{_at(d)} is waiting for QA review.",
        link=_work_order_link,
    )
)
WORK_ORDER_ASSIGNED = event_type_register(
    EventType(
        name="work_order.assigned",
        title="New work assigned",
        audience=TECHNICIAN,
        subject="work_order",
        description="A work order was given to a technician (outside a visit booking, which has its own notice).",
        example=WORK_ORDER_EXAMPLE,
        describe=lambda d: f"{_at(d)} is yours{_window(d)}.",
        link=_work_order_link,
    )
)
WORK_ORDER_RESCHEDULED = event_type_register(
    EventType(
        name="work_order.rescheduled",
        title="Work moved",
        audience=TECHNICIAN,
        subject="work_order",
        description="The planned window of a scheduled work order changed (outside a visit reschedule).",
        mandatory=True,
        example=WORK_ORDER_EXAMPLE,
        describe=lambda d: f"{_at(d)} moved to {d['window']}.",
        link=_work_order_link,
    )
)

# Moves the technician hears about through work_order.transitioned (when no visit notice tells them already).
TECHNICIAN_MOVES = {
    ("scheduled", "dispatched"),
    ("dispatched", "scheduled"),
    ("rework", "scheduled"),
}
CANCELLED_AFTER = {"scheduled", "dispatched", "in_progress"}


def _slug(organization, row) -> str:
    """The organization's slug without a query when the service was given the Organization itself."""
    slug = getattr(organization, "slug", None)
    return slug if slug else row.organization.slug


def work_order_payload(work_order, organization=None) -> dict:
    """The fields every work-order event carries (ids, number, site, technician, window in the site's zone)."""
    from workorders.readiness import describe_window

    site = work_order.site
    return {
        "organization": _slug(organization, work_order),
        "work_order_id": work_order.pk,
        "number": work_order.number,
        "program_code": work_order.program.code,
        "site_id": site.pk,
        "site_code": site.code,
        "site_name": site.name,
        "technician_id": work_order.technician_id,
        "window": describe_window(work_order),
    }


def technician_user_ids(*technicians) -> list:
    """Who to tell of these technicians: their account, or, for one without an account yet, their e-mail address
    (`mailto:`; e-mailed, no inbox)."""
    recipients = []
    for technician in technicians:
        if technician is None:
            continue
        if technician.user_id:
            recipients.append(technician.user_id)
        elif technician.email:
            recipients.append(f"mailto:{technician.email}")
    return recipients


def work_order_transitioned_emit(
    *, organization, actor, work_order, from_status: str, to_status: str, reason: str, notify_technician: bool
) -> None:
    """Emit the move (and `work_order.submitted` for the office when it is a submission)."""
    from workorders.choices import WorkOrderStatus

    data = {
        **work_order_payload(work_order, organization),
        "from_status": from_status,
        "to_status": to_status,
        "from_label": WorkOrderStatus(from_status).label,
        "to_label": WorkOrderStatus(to_status).label,
        "reason": reason,
    }
    tells_technician = (from_status, to_status) in TECHNICIAN_MOVES or (
        to_status == WorkOrderStatus.CANCELLED and from_status in CANCELLED_AFTER
    )
    recipients = technician_user_ids(work_order.technician) if notify_technician and tells_technician else []
    event_emit(
        organization=organization,
        type=WORK_ORDER_TRANSITIONED.name,
        subject=work_order,
        data=data,
        actor=actor,
        recipients=recipients,
    )
    if to_status == WorkOrderStatus.SUBMITTED:
        event_emit(
            organization=organization,
            type=WORK_ORDER_SUBMITTED.name,
            subject=work_order,
            data=work_order_payload(work_order, organization),
            actor=actor,
            recipients=office_recipients(organization),
        )


# --- Visits ---------------------------------------------------------------------------------------------


def visit_payload(visit, organization=None) -> dict:
    """The fields every visit event carries: the work order's, plus the visit's window and status."""
    from workorders.visits.selectors import describe_visit_window

    work_order = visit.work_order
    return {
        **work_order_payload(work_order, organization),
        "technician_id": visit.technician_id,
        "visit_id": visit.pk,
        "sequence": visit.sequence,
        "status": visit.status,
        "window_start": visit.window_start.isoformat().replace("+00:00", "Z"),
        "window_end": visit.window_end.isoformat().replace("+00:00", "Z"),
        "site_timezone": work_order.site.timezone,
        "window": describe_visit_window(visit),
    }


def _visit_type(
    name: str, title: str, description: str, describe, *, audience=TECHNICIAN, mandatory: bool = False, **example
):
    return event_type_register(
        EventType(
            name=name,
            title=title,
            audience=audience,
            subject="visit",
            description=description,
            mandatory=mandatory,
            example={**VISIT_EXAMPLE, **example},
            describe=describe,
            link=_visit_link,
        )
    )


VISIT_SCHEDULED = _visit_type(
    "visit.scheduled",
    "New visit",
    "A visit was booked for a technician (they hear of it).",
    lambda d: f"Visit {d['sequence']} to {_at(d)}{_window(d)}.",
)
VISIT_RESCHEDULED = _visit_type(
    "visit.rescheduled",
    "Visit moved",
    "A visit that has not started moved to another day or window (the technician must confirm again).",
    lambda d: f"Visit {d['sequence']} to {_at(d)} moved to {d['window']}.",
    mandatory=True,
    previous_window="Tue Mar 3, 2026, 13:00–17:00 (America/Chicago)",
    reason="Store asked for the morning",
)
VISIT_REASSIGNED = _visit_type(
    "visit.reassigned",
    "Visit reassigned",
    "A visit went to another technician: both the new and the previous technician hear of it.",
    lambda d: f"Visit {d['sequence']} to {_at(d)}{_window(d)} is now with {d['technician_name']}.",
    mandatory=True,
    previous_technician_id=41,
    technician_name="Tomás Alvarez",
)
VISIT_CANCELLED = _visit_type(
    "visit.cancelled",
    "Visit cancelled",
    "A visit that had not started was called off (by itself or with its work order): do not go.",
    lambda d: f"Visit {d['sequence']} to {_at(d)}{_window(d)} is cancelled: {d['reason']}",
    mandatory=True,
    status="cancelled",
    reason="Store closed for inventory",
)
VISIT_CONFIRMED = _visit_type(
    "visit.confirmed",
    "Visit confirmed",
    "The technician confirmed they will come.",
    lambda d: f"Visit {d['sequence']} to {_at(d)} confirmed.",
    audience=NOBODY,
    status="confirmed",
)
VISIT_ON_THE_WAY = _visit_type(
    "visit.on_the_way",
    "Technician on the way",
    "The technician is on their way to the site.",
    lambda d: f"On the way to {_at(d)}.",
    audience=NOBODY,
    status="on_the_way",
)
VISIT_CHECKED_IN = _visit_type(
    "visit.checked_in",
    "Technician checked in",
    "The technician arrived on site (server time; the distance from the site and whether it was flagged).",
    lambda d: f"Checked in at {_at(d)}.",
    audience=NOBODY,
    status="checked_in",
    distance_m=35,
    flagged=False,
    packet_version=2,
)
VISIT_CHECKED_OUT = _visit_type(
    "visit.checked_out",
    "Technician checked out",
    "The technician left the site: complete (the work goes to QA) or incomplete with a reason.",
    lambda d: f"Checked out of {_at(d)}: {d['outcome']}.",
    audience=NOBODY,
    status="checked_out",
    outcome="complete",
    incomplete_reason="",
)
VISIT_NO_SHOW = _visit_type(
    "visit.no_show",
    "No-show",
    "Nobody checked in by the end of the visit's window (coordinators and PMs hear of it).",
    lambda d: f"Nobody came to {_at(d)}{_window(d)}.",
    audience=OFFICE_ROLES,
    status="no_show",
)


def visit_emit(*, organization, actor, visit, event_type: EventType, recipients=(), **extra) -> None:
    """Emit one visit event (inside the visit service's transaction)."""
    event_emit(
        organization=organization,
        type=event_type.name,
        subject=visit,
        data={**visit_payload(visit, organization), **extra},
        actor=actor,
        recipients=recipients,
    )


# --- Packets --------------------------------------------------------------------------------------------


def _packet_link(event, role: str) -> str | None:
    if role == Role.CLIENT:
        return None
    if role == Role.TECHNICIAN:
        return _url("packets:packet-work-order", event, work_order_id=event.data["work_order_id"])
    return _url("workorders:work-order-detail", event, pk=event.data["work_order_id"])


PACKET_ISSUED = event_type_register(
    EventType(
        name="packet.issued",
        title="Packet to acknowledge",
        audience=TECHNICIAN,
        subject="packet",
        description=(
            "A packet version is ready (its PDF rendered) and is the current one: the technician must read and "
            "acknowledge it before the visit. A version above 1 is a changed packet."
        ),
        mandatory=True,
        example={**WORK_ORDER_EXAMPLE, "packet_id": 733, "version": 2, "changed": True},
        describe=lambda d: (
            f"Packet v{d['version']} for {_at(d)} "
            + ("changed: read it again and acknowledge it." if d.get("changed") else "is ready: please acknowledge.")
        ),
        link=_packet_link,
    )
)


def packet_issued_emit(*, organization, packet, work_order) -> None:
    """Emit a rendered, current packet version (the technician must acknowledge it)."""
    event_emit(
        organization=organization,
        type=PACKET_ISSUED.name,
        subject=packet,
        data={
            **work_order_payload(work_order, organization),
            "packet_id": packet.pk,
            "version": packet.version,
            "changed": packet.version > 1,
        },
        actor=None,
        recipients=technician_user_ids(work_order.technician),
    )
