"""Builders of the work-order tests: a program with an approved SOW, an enrolled site with access hours, an eligible
technician, and work orders prepared so that every readiness gate can be made green."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from programs.choices import SowStatus
from rollout.choices import Role
from rollout.tenancy import Access
from technicians.models import Skill
from tests.programs.factories import EnrollmentFactory, ProgramFactory, SowFactory, SowMaterialFactory, SowTaskFactory
from tests.sites.factories import SiteFactory
from tests.technicians.factories import SkillFactory, TechnicianFactory
from tests.workorders.factories import ShipmentFactory, WorkOrderFactory
from workorders.choices import Gate

CHICAGO = ZoneInfo("America/Chicago")
# A Wednesday far from any real "today", so rules read the same whenever the tests run.
VISIT_DAY = date(2026, 3, 4)
OPEN_ALL_WEEK = {day: ["06:00-22:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware datetime at the site (Chicago)."""
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def access_of(tenant, role: Role = Role.PM) -> Access:
    """The Access a member of `tenant` with `role` gets, as the resolver builds it."""
    membership = tenant.members[role]
    return Access(
        organization=tenant.organization,
        role=role,
        user=membership.user,
        membership=membership,
        client_id=membership.client_id,
    )


def build_world(tenant, code="sco-2026"):
    """Program with an approved SOW (a POS task, a conditional task, one material), a skill, a technician."""
    organization = tenant.organization
    program = ProgramFactory(organization=organization, client=tenant.client, code=code)
    sow = SowFactory(program=program, version=1)
    SowTaskFactory(sow=sow, key="mount", title="Mount terminal", required_skill="pos-install", position=1)
    SowTaskFactory(
        sow=sow, key="upstairs", title="Cable upstairs", required_skill="cabling", position=2, condition="floors > 5"
    )
    SowMaterialFactory(sow=sow, key="bracket", part_number="BR-1", position=1)
    sow.status = SowStatus.APPROVED
    sow.approved_at = timezone.now()
    sow.save()
    skill = Skill.objects.for_organization(organization).filter(slug="pos-install").first() or SkillFactory(
        organization=organization, slug="pos-install", name="POS install"
    )
    technician = TechnicianFactory(organization=organization, full_name="Tomás Alvarez", skills=[skill])
    return {"program": program, "sow": sow, "skill": skill, "technician": technician}


def enrolled_site(world, **site_values):
    program = world["program"]
    site = SiteFactory(
        organization=program.organization,
        client=program.client,
        latitude=Decimal("41.900000"),
        longitude=Decimal("-87.650000"),
        access_hours=site_values.pop("access_hours", OPEN_ALL_WEEK),
        **site_values,
    )
    return EnrollmentFactory(program=program, site=site)


def prepared(world, status="scheduled", *, green=True, **values) -> "WorkOrder":  # noqa: F821
    """A work order in `status` whose every readiness gate is green (the packet gate by an override, since
    no packet exists in these tests) unless green=False."""
    enrollment = enrolled_site(world)
    fields = {"status": status, "sow": world["sow"]}
    if green:
        fields.update(
            technician=world["technician"],
            planned_start=local(VISIT_DAY, 9),
            planned_end=local(VISIT_DAY, 13),
            site_contact_confirmed_at=timezone.now(),
            site_contact_confirmed_by_label="pm@example.com",
            gate_overrides={
                Gate.PACKET: {"reason": "Printed packet handed over", "by_label": "pm", "at": "2026-03-01T10:00:00"}
            },
        )
    fields.update(values)
    work_order = WorkOrderFactory(enrollment=enrollment, **fields)
    if green:
        ShipmentFactory(work_order=work_order)
    return work_order
