"""Factories of the programs app: every object graph stays inside one organization."""

from datetime import date

import factory

from programs.choices import EvidenceKind, SowStatus
from programs.models import Program, Sow, SowMaterial, SowTask, Wave
from tests.factories import ClientFactory, OrganizationFactory


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
