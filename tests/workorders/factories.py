"""Factories of the workorders app: every object graph stays inside one organization."""

from datetime import date

import factory

from tests.programs.factories import EnrollmentFactory
from workorders.choices import ShipmentStatus, WorkOrderStatus
from workorders.models import Shipment, WorkOrder


class WorkOrderFactory(factory.django.DjangoModelFactory):
    """A work order for an enrolled site, in any state (`status=`: the FSM field takes a first value on
    construction, which is how rows come out of the database too)."""

    class Meta:
        model = WorkOrder

    enrollment = factory.SubFactory(EnrollmentFactory)
    organization = factory.SelfAttribute("enrollment.organization")
    program = factory.SelfAttribute("enrollment.program")
    site = factory.SelfAttribute("enrollment.site")
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: f"{o.program.code.upper()}-{o.sequence:06d}")
    status = WorkOrderStatus.DRAFT


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    work_order = factory.SubFactory(WorkOrderFactory)
    organization = factory.SelfAttribute("work_order.organization")
    carrier = "UPS"
    tracking_number = factory.Sequence(lambda n: f"1Z999AA1{n:08d}")
    status = ShipmentStatus.DELIVERED
    shipped_on = date(2026, 2, 20)
    expected_delivery = date(2026, 2, 24)
    delivered_on = date(2026, 2, 23)
