"""Factories of the programs app: every object graph stays inside one organization."""

from datetime import date

import factory

from programs.choices import AttributeType, EvidenceKind, SowStatus, VariationKind, VariationStatus
from programs.models import Enrollment, Program, ProgramAttribute, SiteVariation, Sow, SowMaterial, SowTask, Wave
from tests.factories import ClientFactory, OrganizationFactory
from tests.sites.factories import SiteFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    client = factory.SubFactory(ClientFactory, organization=factory.SelfAttribute("..organization"))
    code = factory.Sequence(lambda n: f"prog-{n}")
    name = factory.Sequence(lambda n: f"Self-checkout rollout {n}")
    start_date = date(2026, 1, 1)
    end_date = date(2026, 12, 31)


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    name = factory.Sequence(lambda n: f"Wave {n}")
    order = factory.Sequence(lambda n: n + 1)
    start_date = date(2026, 2, 1)
    end_date = date(2026, 3, 31)


class SowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sow

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    version = 1
    status = SowStatus.DRAFT


class SowTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SowTask

    sow = factory.SubFactory(SowFactory)
    organization = factory.SelfAttribute("sow.organization")
    key = factory.Sequence(lambda n: f"task-{n}")
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Task {n}")
    instructions = "Mount the terminal.\n\n- check power\n- check network"
    estimated_minutes = 30
    evidence_kind = EvidenceKind.NONE


class SowMaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SowMaterial

    sow = factory.SubFactory(SowFactory)
    organization = factory.SelfAttribute("sow.organization")
    key = factory.Sequence(lambda n: f"part-{n}")
    position = factory.Sequence(lambda n: n + 1)
    part_number = factory.Sequence(lambda n: f"PN-{n:05d}")
    description = "Mounting bracket"
    unit = "ea"


def approved_sow(program, version=1, tasks=2, materials=1) -> Sow:
    """A SOW version with lines, approved (written directly: approval itself is tested via the service)."""
    sow = SowFactory(program=program, version=version)
    for _ in range(tasks):
        SowTaskFactory(sow=sow)
    for _ in range(materials):
        SowMaterialFactory(sow=sow)
    sow.status = SowStatus.APPROVED
    sow.save()
    return sow


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A site of the program's client, enrolled in the program (no wave unless given)."""

    class Meta:
        model = Enrollment

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    site = factory.SubFactory(
        SiteFactory,
        organization=factory.SelfAttribute("..program.organization"),
        client=factory.SelfAttribute("..program.client"),
    )
    wave = None


class ProgramAttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramAttribute

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    name = factory.Sequence(lambda n: f"attr_{n}")
    label = factory.LazyAttribute(lambda o: o.name.replace("_", " ").capitalize())
    type = AttributeType.STR


class SiteVariationFactory(factory.django.DjangoModelFactory):
    """An access note (needs no SOW) for an enrolled site; pass `enrollment=` or let it enroll one."""

    class Meta:
        model = SiteVariation
        exclude = ["enrollment"]

    enrollment = factory.SubFactory(EnrollmentFactory)
    program = factory.SelfAttribute("enrollment.program")
    site = factory.SelfAttribute("enrollment.site")
    organization = factory.SelfAttribute("enrollment.organization")
    kind = VariationKind.ACCESS_NOTE
    status = VariationStatus.PENDING
    reason = "Loading dock only before 7 am."
    note = "Use the rear door; ask for the night manager."
