"""The notifications demo: after `seed_demo`, every role of Northwind has unread notices made by real events, and a
second run adds none."""

import pytest
from django.core.management import call_command

from notifications.models import Notification
from rollout.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_role_unread_notices_once():
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    unread = {}
    for membership in Membership.objects.filter(
        organization=northwind, role__in=["admin", "pm", "coordinator", "technician", "client"]
    ):
        count = Notification.objects.filter(organization=northwind, user=membership.user, read_at__isnull=True).count()
        unread[membership.role] = unread.get(membership.role, 0) + count
    assert all(count > 0 for count in unread.values()), unread
    before = Notification.objects.filter(organization=northwind).count()
    call_command("seed_demo", stdout=None)
    assert Notification.objects.filter(organization=northwind).count() == before
