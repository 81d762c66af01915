"""Factories of the technicians app: every object graph stays inside one organization."""

from datetime import date, time
from decimal import Decimal

import factory

from technicians.models import (
    Certification,
    Course,
    Skill,
    Technician,
    TechnicianSkill,
    TimeOff,
    TrainingRecord,
    Vendor,
)
from tests.factories import OrganizationFactory

# Chicago's Loop: the default home base, so distances in tests are easy to reason about.
CHICAGO = (Decimal("41.878100"), Decimal("-87.629800"))


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"vendor-{n}")
    name = factory.Sequence(lambda n: f"Field Services {n}")
    contact_name = "Erin Walsh"
    contact_email = factory.Sequence(lambda n: f"dispatch{n}@vendor.example")
    insurance_expires_on = date(2030, 12, 31)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    organization = factory.SubFactory(OrganizationFactory)
    slug = factory.Sequence(lambda n: f"skill-{n}")
    name = factory.Sequence(lambda n: f"Skill {n}")
    requires_certification = False


class TechnicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technician
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"tech{n}@field.example")
    full_name = factory.Sequence(lambda n: f"Technician {n:03d}")
    home_address = "233 S Wacker Dr, Chicago, IL"
    home_latitude = CHICAGO[0]
    home_longitude = CHICAGO[1]
    service_radius_km = 80
    working_days = factory.LazyFunction(lambda: ["mon", "tue", "wed", "thu", "fri"])
    work_start = time(8, 0)
    work_end = time(17, 0)
    timezone = "America/Chicago"

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        for skill in extracted or []:
            TechnicianSkill.objects.create(organization=self.organization, technician=self, skill=skill)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    technician = factory.SubFactory(TechnicianFactory)
    organization = factory.SelfAttribute("technician.organization")
    name = factory.Sequence(lambda n: f"Certificate {n}")
    issued_on = date(2024, 1, 1)
    expires_on = date(2030, 1, 1)
    reference = factory.Sequence(lambda n: f"REF-{n:05d}")


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    technician = factory.SubFactory(TechnicianFactory)
    organization = factory.SelfAttribute("technician.organization")
    start_date = date(2026, 3, 2)
    end_date = date(2026, 3, 6)
    reason = "Vacation"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Course {n}")
    roles = factory.LazyFunction(lambda: ["technician"])
    validity_months = 12


class TrainingRecordFactory(factory.django.DjangoModelFactory):
    """A technician's record by default; pass `technician=None, member=...` for a PM or coordinator."""

    class Meta:
        model = TrainingRecord

    technician = factory.SubFactory(TechnicianFactory)
    member = None
    organization = factory.LazyAttribute(lambda o: (o.technician or o.member).organization)
    course = factory.SubFactory(CourseFactory, organization=factory.SelfAttribute("..organization"))
    completed_on = date(2025, 6, 1)
    expires_on = date(2026, 6, 1)
