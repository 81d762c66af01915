"""Builders shared by the packet tests (no tests here): a program whose approved SOW has conditional
tasks and materials, an enrolled site with contacts, approved variations, and PDF text extraction."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from programs.choices import EvidenceKind, SowStatus, VariationKind, VariationStatus
from programs.models import Enrollment, Program, SiteVariation, Sow
from programs.selectors import site_variations_for_packet
from rollout.choices import Role
from rollout.tenancy import Access
from sites.models import Site
from tests.programs.factories import (
    EnrollmentFactory,
    ProgramFactory,
    SowFactory,
    SowMaterialFactory,
    SowTaskFactory,
)
from tests.sites.factories import SiteContactFactory
from tests.technicians.factories import TechnicianFactory
from tests.workorders.factories import WorkOrderFactory
from workorders.packets.compiler import packet_compile

# (key, title, condition, evidence) in SOW order. The site is a two-floor mall store without a loading dock.
TASKS = [
    ("survey", "Survey the checkout area", "", EvidenceKind.PHOTO),
    ("mount", "Mount the terminal", "", EvidenceKind.SERIAL),
    ("street-sign", "Fit the street-front sign", 'store_format = "street"', EvidenceKind.PHOTO),
    ("upstairs", "Run cable to the upper floor", "floors >= 2", EvidenceKind.MEASUREMENT),
    ("test", "Test a sale end to end", "", EvidenceKind.SIGNATURE),
    ("dock", "Receive pallets at the loading dock", "has_loading_dock", EvidenceKind.NONE),
]
# (key, part number, quantity, condition)
MATERIALS = [
    ("terminal", "SCO-T1", Decimal("2"), ""),
    ("riser", "CAB-RISER", Decimal("15.5"), "floors >= 2"),
    ("sign", "SIGN-ST", Decimal("1"), 'store_format = "street"'),
]
SITE_ATTRIBUTES = {"store_format": "mall", "floors": 2, "has_loading_dock": False}


@dataclass
class Plan:
    program: Program
    sow: Sow
    site: Site
    enrollment: Enrollment


def build_sow(program: Program, *, version: int = 1, tasks=TASKS, materials=MATERIALS, approve: bool = True) -> Sow:
    sow = SowFactory(program=program, version=version)
    for position, (key, title, condition, evidence) in enumerate(tasks, start=1):
        SowTaskFactory(
            sow=sow,
            key=key,
            title=title,
            position=position,
            condition=condition,
            evidence_kind=evidence,
            instructions=f"**{title}** carefully.\n\n- step one\n- step two",
            photo_min_count=2 if evidence == EvidenceKind.PHOTO else None,
            serial_pattern=r"^SCO\d{6}$" if evidence == EvidenceKind.SERIAL else "",
            measurement_unit="m" if evidence == EvidenceKind.MEASUREMENT else "",
            measurement_min=Decimal("0.5") if evidence == EvidenceKind.MEASUREMENT else None,
            measurement_max=Decimal("30") if evidence == EvidenceKind.MEASUREMENT else None,
            estimated_minutes=20,
        )
    for position, (key, part, quantity, condition) in enumerate(materials, start=1):
        SowMaterialFactory(
            sow=sow, key=key, part_number=part, quantity=quantity, position=position, condition=condition
        )
    if approve:
        sow.status = SowStatus.APPROVED
        sow.approved_at = timezone.now()
        sow.save()
    return sow


def build_plan(tenant, *, code: str = "sco-2026", site_code: str = "HF-0042", wave=None) -> Plan:
    program = ProgramFactory(organization=tenant.organization, client=tenant.client, code=code)
    sow = build_sow(program)
    enrollment = EnrollmentFactory(
        program=program, wave=wave, site__code=site_code, site__attributes=dict(SITE_ATTRIBUTES)
    )
    SiteContactFactory(site=enrollment.site, name="Dana Store-Manager", is_primary=True)
    return Plan(program=program, sow=sow, site=enrollment.site, enrollment=enrollment)


def enroll_site(plan: Plan, *, code: str, wave=None, attributes=None) -> Site:
    enrollment = EnrollmentFactory(
        program=plan.program, wave=wave, site__code=code, site__attributes=attributes or dict(SITE_ATTRIBUTES)
    )
    return enrollment.site


def approved_variation(program: Program, site: Site, kind: str, **fields) -> SiteVariation:
    """An approved variation written directly (capture and approval are the programs app's, tested there)."""
    return SiteVariation.objects.create(
        organization=program.organization,
        program=program,
        site=site,
        kind=kind,
        status=VariationStatus.APPROVED,
        reason=fields.pop("reason", f"Site differs ({kind})."),
        decided_at=timezone.now(),
        **fields,
    )


def pending_variation(program: Program, site: Site) -> SiteVariation:
    return SiteVariation.objects.create(
        organization=program.organization,
        program=program,
        site=site,
        kind=VariationKind.ACCESS_NOTE,
        status=VariationStatus.PENDING,
        reason="Not decided yet.",
        note="Ring the bell twice.",
    )


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, as poppler's pdftotext extracts it (layout kept, so table rows stay on one line)."""
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def pdf_page_count(pdf: bytes) -> int:
    return pdf_text(pdf).count("\f")


def technician_of(tenant, **values):
    """The tenant's technician-role member as a Technician profile (linked to their user)."""
    user = tenant.members[Role.TECHNICIAN].user
    values.setdefault("full_name", "Tomás Alvarez")
    return TechnicianFactory(organization=tenant.organization, user=user, email=user.email, **values)


def work_order_for(plan: Plan, *, status: str = "scheduled", technician=None, site=None):
    """A work order of the plan's program for its site (or another enrolled `site`), in `status`."""
    enrollment = plan.enrollment if site is None else Enrollment.objects.get(program=plan.program, site=site)
    return WorkOrderFactory(enrollment=enrollment, sow=plan.sow, status=status, technician=technician)


def access_for(tenant, role):
    """The Access a member of `tenant` with `role` gets, as the resolver builds it."""
    membership = tenant.members[role]
    return Access(
        organization=tenant.organization,
        role=role,
        user=membership.user,
        membership=membership,
        client_id=membership.client_id,
    )


def compile_plan(plan, *, work_order_number="WO-000001"):
    """Compile from fresh database reads, as the services do."""
    sow = Sow.objects.get(pk=plan.sow.pk)
    site = Site.objects.get(pk=plan.site.pk)
    variations = site_variations_for_packet(
        organization=plan.program.organization, program_id=plan.program.pk, site_id=site.pk
    )
    return packet_compile(
        sow=sow, site=site, variations=variations, program=plan.program, work_order_number=work_order_number
    )
