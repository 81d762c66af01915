"""Fixtures of the workorders tests: a program with an approved SOW, an enrolled site with access hours,
an eligible technician, and work orders prepared so that every readiness gate can be made green."""

import pytest

from rollout.choices import Role
from rollout.tenancy import Access
from tests.workorders.builders.work_orders import access_of, build_world, prepared


@pytest.fixture
def pm(tenant) -> Access:
    return access_of(tenant, Role.PM)


@pytest.fixture
def world(tenant):
    return build_world(tenant)


@pytest.fixture
def foreign(other_tenant):
    """Another organization's program, work order and shipment, for cross-organization cases."""
    other = build_world(other_tenant, code="foreign")
    work_order = prepared(other, "ready")
    return {**other, "work_order": work_order, "shipment": work_order.shipments.first()}
