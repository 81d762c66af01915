"""Builders of the escalation tests (no tests here): the visit world of tests/workorders with its times, many
open visits at once (for query budgets), and the sweep at a chosen instant."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from escalations.sweep import escalations_sweep
from tests.programs.factories import EnrollmentFactory
from tests.sites.factories import SiteFactory
from tests.workorders.builders.visits import VISIT_DAY, build_field_world, local
from tests.workorders.factories import WorkOrderFactory
from workorders.choices import WorkOrderStatus
from workorders.models import Visit

WINDOW_START = local(VISIT_DAY, 9)  # the booked visit's window start (Chicago)
CHECKIN_DUE = WINDOW_START + timedelta(minutes=30)  # + the program's default grace
SECOND = timedelta(seconds=1)


def sweep(tenant_or_org, at: datetime):
    organization = getattr(tenant_or_org, "organization", tenant_or_org)
    return escalations_sweep(organization=organization, now=at)


def world_of(tenant, **program_values):
    return build_field_world(tenant, **program_values)


def many_visits(world, count: int, *, window_start: datetime = WINDOW_START, status: str = "scheduled") -> list[Visit]:
    """`count` scheduled visits of the world's technician, each on its own work order and site (bulk, no services)."""
    visits = []
    for index in range(count):
        site = SiteFactory(organization=world.organization, client=world.program.client)
        enrollment = EnrollmentFactory(program=world.program, site=site)
        work_order = WorkOrderFactory(enrollment=enrollment, sow=world.sow, status=WorkOrderStatus.SCHEDULED)
        visits.append(
            Visit(
                organization=world.organization,
                work_order=work_order,
                technician=world.technician,
                window_start=window_start + timedelta(minutes=index % 7),
                window_end=window_start + timedelta(hours=3),
                local_date=timezone.localtime(window_start).date(),
                checkin_due_by=window_start + timedelta(minutes=30 + index % 7),
                status=status,
            )
        )
    return Visit.objects.bulk_create(visits)
