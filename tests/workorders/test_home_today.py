"""The staff homes in the demo: the coordinator's counts technicians (not members) and names today's no-show (and
the late visit, when the clock makes one); the PM's shows the submitted work waiting for review."""

import pytest
from django.core.management import call_command

from rollout.choices import Role
from rollout.models import Membership, Organization
from technicians.models import Technician
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def home(client, organization, role):
    client.force_login(Membership.objects.filter(organization=organization, role=role).first().user)
    return client.get(f"/o/{organization.slug}/")


def test_coordinator_and_pm_homes_show_the_field_today_and_work_to_review(client):
    # given the demo
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    technicians = Technician.objects.for_organization(northwind).count()
    # when the coordinator opens their home
    response = home(client, northwind, Role.COORDINATOR)
    html = response.content.decode()
    today = response.context["field_today"]
    # then it counts the technicians and names the no-show
    assert today["technician_count"] == technicians and f"{technicians} technicians" in html
    assert today["no_show_count"] >= 1 and "No-show" in html
    assert all(item["state"] in ("late", "no_show") for item in today["attention"])
    # and the PM's home shows the work waiting for review
    response = home(client, northwind, Role.PM)
    submitted = WorkOrder.objects.for_organization(northwind).filter(status="submitted").count()
    assert submitted >= 1
    assert response.context["review_waiting"]["count"] == submitted
    assert "Waiting for review" in response.content.decode()
