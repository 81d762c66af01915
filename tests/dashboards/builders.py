"""Builders of the dashboards tests (no tests here): a program of the tenant's client with waves, enrolled sites,
work orders in given states, DRFT snapshots, defects and escalations — rows made directly through the factories,
since the dashboards only read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from escalations.models import Escalation
from quality.models import Defect, DefectCode, DrftSnapshot, QaReview
from tests.programs.factories import EnrollmentFactory, ProgramFactory, WaveFactory
from tests.technicians.factories import TechnicianFactory
from tests.workorders.factories import WorkOrderFactory
from workorders.choices import WorkOrderStatus
from workorders.models import Visit

SECRET_OVERRIDE = "SECRET-OVERRIDE-REASON-7731"
SECRET_CANCEL = "SECRET-CANCEL-REASON-5520"
SECRET_REVIEW = "SECRET-REVIEW-COMMENT-9911"
SECRET_RESOLUTION = "SECRET-ESCALATION-NOTE-4410"


def program_world(tenant, *, sites: int = 10, code: str = "dash", client=None):
    """A program with two waves and `sites` enrolled sites (alternating waves), each with a work order: the first
    third accepted (recently), one cancelled, the rest scheduled; a technician on all of them; a visit today on the
    first scheduled one; DRFT snapshots for three weeks; two defects; an escalation at level 2 and one resolved."""
    organization = tenant.organization
    program = ProgramFactory(
        organization=organization,
        client=client or tenant.client,
        code=code,
        status="active",
        start_date=date.today() - timedelta(days=60),
        end_date=date.today() + timedelta(days=30),
    )
    waves = [
        WaveFactory(program=program, name="Wave A", order=1, end_date=date.today() + timedelta(days=10)),
        WaveFactory(program=program, name="Wave B", order=2, end_date=date.today() + timedelta(days=30)),
    ]
    technician = TechnicianFactory(organization=organization, full_name="Dana Quist")
    now = timezone.now()
    work_orders = []
    for index in range(sites):
        enrollment = EnrollmentFactory(program=program, wave=waves[index % 2])
        if index < sites // 3:
            status, values = WorkOrderStatus.ACCEPTED, {"accepted_at": now - timedelta(days=index % 20 + 1)}
        elif index == sites // 3:
            status, values = WorkOrderStatus.CANCELLED, {"cancel_reason": SECRET_CANCEL}
        elif index == sites - 1 and sites > 3:
            status, values = WorkOrderStatus.DRAFT, {}
        else:
            status, values = WorkOrderStatus.SCHEDULED, {}
        work_orders.append(
            WorkOrderFactory(
                enrollment=enrollment,
                status=status,
                technician=technician,
                gate_overrides={"sow": {"reason": SECRET_OVERRIDE, "by_label": "PM", "at": now.isoformat()}},
                **values,
            )
        )
    scheduled = next(wo for wo in work_orders if wo.status == WorkOrderStatus.SCHEDULED)
    start = now + timedelta(hours=1)
    Visit.objects.create(
        organization=organization,
        work_order=scheduled,
        technician=technician,
        window_start=start,
        window_end=start + timedelta(hours=3),
        local_date=timezone.localdate(start, timezone=_zone(scheduled)),
        checkin_due_by=start + timedelta(minutes=30),
        status="scheduled",
    )
    for week, drft, total in [("2026-W01", 3, 4), ("2026-W02", 4, 4), ("2026-W03", 1, 2)]:
        DrftSnapshot.objects.create(
            organization=organization,
            program=program,
            dimension="program",
            key=str(program.pk),
            label=program.code,
            week=week,
            final_drft=drft,
            final_total=total,
        )
    DrftSnapshot.objects.create(
        organization=organization,
        program=program,
        dimension="program",
        key=str(program.pk),
        label=program.code,
        week="",
        final_drft=8,
        final_total=10,
    )
    accepted = work_orders[0]
    code_row, _ = DefectCode.objects.get_or_create(
        organization=organization, code="photo-missing", defaults={"title": "Photo missing"}
    )
    review = QaReview.objects.create(
        organization=organization, work_order=accepted, decision="reject", comment=SECRET_REVIEW, decided_at=now
    )
    for cause in ("skill", "skill"):
        Defect.objects.create(
            organization=organization,
            review=review,
            code=code_row,
            severity="major",
            root_cause=cause,
            comment=SECRET_REVIEW,
        )
    for level, state, visible in [(2, "open", True), (1, "resolved", True)]:
        Escalation.objects.create(
            organization=organization,
            rule="no_confirmation",
            subject_type="work_order",
            subject_id=accepted.pk,
            work_order=accepted,
            program=program,
            level=level,
            level_role="pm",
            state=state,
            client_visible=visible,
            occurrence=now - timedelta(days=3),
            breach_at=now - timedelta(days=2),
            raised_at=now - timedelta(days=2),
            resolution_note=SECRET_RESOLUTION,
            snooze_reason=SECRET_RESOLUTION,
        )
    return program, waves, work_orders


def _zone(work_order):
    import zoneinfo

    return zoneinfo.ZoneInfo(work_order.site.timezone or "UTC")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
