"""Fixtures of the technicians tests: service callers per role, and a small workforce in one organization."""

import pytest

from rollout.choices import Role
from rollout.tenancy import Access
from tests.technicians.builders import access_of
from tests.technicians.factories import CertificationFactory, SkillFactory, TechnicianFactory, VendorFactory


@pytest.fixture
def coordinator(tenant) -> Access:
    return access_of(tenant, Role.COORDINATOR)


@pytest.fixture
def workforce(tenant):
    """A vendor, two skills (one requiring certification) and a certified technician of that vendor."""
    organization = tenant.organization
    vendor = VendorFactory(organization=organization, code="lakeshore", name="Lakeshore Field Services")
    pos = SkillFactory(organization=organization, slug="pos-install", name="POS install")
    cabling = SkillFactory(
        organization=organization, slug="network-cabling", name="Structured cabling", requires_certification=True
    )
    technician = TechnicianFactory(
        organization=organization, vendor=vendor, full_name="Tomás Alvarez", skills=[pos, cabling]
    )
    certification = CertificationFactory(technician=technician, skill=cabling, name="BICSI Installer 2")
    return {
        "vendor": vendor,
        "pos": pos,
        "cabling": cabling,
        "technician": technician,
        "certification": certification,
    }


@pytest.fixture
def foreign(other_tenant):
    """Another organization's vendor, skill, technician, certification and time off, for cross-org cases."""
    from tests.technicians.factories import TimeOffFactory

    organization = other_tenant.organization
    vendor = VendorFactory(organization=organization)
    skill = SkillFactory(organization=organization, slug="pos-install")
    technician = TechnicianFactory(organization=organization, vendor=vendor, skills=[skill])
    return {
        "vendor": vendor,
        "skill": skill,
        "technician": technician,
        "certification": CertificationFactory(technician=technician, skill=skill),
        "time_off": TimeOffFactory(technician=technician),
    }
