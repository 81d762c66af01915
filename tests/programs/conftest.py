"""Fixtures of the programs tests: service callers per role, and a program with two SOW versions."""

import pytest

from rollout.choices import Role
from rollout.tenancy import Access
from tests.programs.builders import access_of
from tests.programs.factories import ProgramFactory, SowFactory, SowMaterialFactory, SowTaskFactory, approved_sow


@pytest.fixture
def pm(tenant) -> Access:
    return access_of(tenant, Role.PM)


@pytest.fixture
def program(tenant):
    return ProgramFactory(organization=tenant.organization, client=tenant.client, code="sco-2026")


@pytest.fixture
def draft(program):
    sow = SowFactory(program=program, version=1)
    SowTaskFactory(sow=sow, key="mount", title="Mount terminal", position=1)
    SowTaskFactory(sow=sow, key="test", title="Test terminal", position=2)
    SowMaterialFactory(sow=sow, key="bracket", part_number="BR-1", position=1)
    return sow


@pytest.fixture
def approved(program):
    return approved_sow(program, version=1)


@pytest.fixture
def foreign(other_tenant):
    """Another organization's program with an approved v1 and a draft v2, for cross-organization cases."""
    program = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client, code="foreign")
    sow = approved_sow(program, version=1)
    draft = SowFactory(program=program, version=2, based_on=sow)
    task = SowTaskFactory(sow=draft)
    material = SowMaterialFactory(sow=draft)
    return {"program": program, "sow": sow, "draft": draft, "task": task, "material": material}
