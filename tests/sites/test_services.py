"""Site and contact services: checks, normalization and the audit trail."""

from decimal import Decimal

import pytest

from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent
from sites import services
from sites.choices import SiteStatus
from sites.models import Site, SiteContact
from tests.sites.builders import access_of
from tests.sites.factories import SiteContactFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_site_create_normalizes_derives_the_time_zone_and_audits(tenant):
    # given a PM
    pm = access_of(tenant, Role.PM)
    # when they create a site with coordinates but no time zone
    site = services.site_create(
        organization=tenant.organization,
        actor=pm,
        client=tenant.client,
        code="DEN-1",
        name="Denver Union Station",
        latitude=Decimal("39.7530"),
        longitude=Decimal("-105.0002"),
        country="us",
        access_hours={"mon": ["6:00-22:00"]},
        blackout_dates=["2026-12-25", "2026-12-24"],
        attributes={"store_format": "street"},
    )
    # then values are normalized and the time zone comes from the coordinates
    site.refresh_from_db()
    assert site.timezone == "America/Denver"
    assert site.country == "US"
    assert site.access_hours == {"mon": ["06:00-22:00"]}
    assert site.blackout_dates == ["2026-12-24", "2026-12-25"]
    event = AuditEvent.objects.get(verb="site.created", target_id=str(site.pk))
    assert event.after["code"] == "DEN-1" and event.actor_user == tenant.members[Role.PM].user


def test_site_create_refuses_a_duplicate_code_and_a_site_without_a_time_zone(tenant):
    pm = access_of(tenant, Role.PM)
    SiteFactory(organization=tenant.organization, client=tenant.client, code="S-1")
    # when the code is taken for the client
    with pytest.raises(ApplicationError) as duplicate:
        services.site_create(organization=tenant.organization, actor=pm, client=tenant.client, code="S-1", name="X")
    assert (duplicate.value.code, duplicate.value.field) == ("duplicate_code", "code")
    # when there is neither a time zone nor coordinates
    with pytest.raises(ApplicationError) as no_zone:
        services.site_create(organization=tenant.organization, actor=pm, client=tenant.client, code="S-2", name="X")
    assert (no_zone.value.code, no_zone.value.field) == ("timezone_required", "timezone")
    # when only one coordinate is given
    with pytest.raises(ApplicationError) as half:
        services.site_create(
            organization=tenant.organization,
            actor=pm,
            client=tenant.client,
            code="S-3",
            name="X",
            latitude=Decimal("40"),
            timezone="UTC",
        )
    assert half.value.field == "longitude"


def test_the_same_code_may_exist_for_two_clients(tenant):
    from tests.factories import ClientFactory

    other_client = ClientFactory(organization=tenant.organization)
    SiteFactory(organization=tenant.organization, client=tenant.client, code="S-1")
    site = services.site_create(
        organization=tenant.organization,
        actor=access_of(tenant),
        client=other_client,
        code="S-1",
        name="Other",
        timezone="UTC",
    )
    assert site.client == other_client


def test_a_client_of_another_organization_is_not_found(tenant, other_tenant):
    with pytest.raises(NotFound):
        services.site_create(
            organization=tenant.organization,
            actor=access_of(tenant),
            client=other_tenant.client,
            code="S-1",
            name="X",
            timezone="UTC",
        )


def test_site_update_audits_before_and_after_and_rederives_an_emptied_time_zone(tenant):
    site = SiteFactory(organization=tenant.organization, client=tenant.client, name="Old", timezone="UTC")
    # when the name changes and the time zone is emptied
    services.site_update(
        organization=tenant.organization, actor=access_of(tenant), site_id=site.pk, name="New", timezone=""
    )
    # then
    site.refresh_from_db()
    assert site.name == "New"
    assert site.timezone == "America/Chicago"  # from the factory's Chicago coordinates
    event = AuditEvent.objects.get(verb="site.updated", target_id=str(site.pk))
    assert event.before == {"name": "Old", "timezone": "UTC"}
    assert event.after == {"name": "New", "timezone": "America/Chicago"}


def test_site_update_of_another_organizations_site_is_not_found(tenant, other_tenant):
    foreign = SiteFactory(organization=other_tenant.organization, client=other_tenant.client)
    with pytest.raises(NotFound):
        services.site_update(organization=tenant.organization, actor=access_of(tenant), site_id=foreign.pk, name="X")


def test_deactivate_and_activate_are_audited_and_harmless_twice(tenant):
    site = SiteFactory(organization=tenant.organization, client=tenant.client)
    pm = access_of(tenant)
    services.site_deactivate(organization=tenant.organization, actor=pm, site_id=site.pk)
    services.site_deactivate(organization=tenant.organization, actor=pm, site_id=site.pk)
    site.refresh_from_db()
    assert site.status == SiteStatus.INACTIVE
    assert AuditEvent.objects.filter(verb="site.deactivated", target_id=str(site.pk)).count() == 1
    services.site_activate(organization=tenant.organization, actor=pm, site_id=site.pk)
    site.refresh_from_db()
    assert site.status == SiteStatus.ACTIVE


def test_site_delete_removes_the_site_and_its_contacts(tenant):
    contact = SiteContactFactory(site=SiteFactory(organization=tenant.organization, client=tenant.client))
    services.site_delete(organization=tenant.organization, actor=access_of(tenant), site_id=contact.site_id)
    assert not Site.objects.exists()
    assert not SiteContact.objects.exists()
    assert AuditEvent.objects.filter(verb="site.deleted").exists()


def test_contacts_keep_one_primary_per_site(tenant):
    # given a site with a primary contact
    site = SiteFactory(organization=tenant.organization, client=tenant.client)
    pm = access_of(tenant)
    first = services.site_contact_add(
        organization=tenant.organization, actor=pm, site_id=site.pk, name="Ann", is_primary=True
    )
    # when a second primary contact is added
    second = services.site_contact_add(
        organization=tenant.organization, actor=pm, site_id=site.pk, name="Bob", role="IT lead", is_primary=True
    )
    # then it takes over
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    # when the first becomes primary again through an update
    services.site_contact_update(organization=tenant.organization, actor=pm, contact_id=first.pk, is_primary=True)
    second.refresh_from_db()
    assert not second.is_primary
    # when removed
    services.site_contact_remove(organization=tenant.organization, actor=pm, contact_id=second.pk)
    assert list(SiteContact.objects.values_list("name", flat=True)) == ["Ann"]
    verbs = set(AuditEvent.objects.filter(target_type="sites.sitecontact").values_list("verb", flat=True))
    assert verbs == {"site_contact.created", "site_contact.updated", "site_contact.removed"}


def test_contact_services_refuse_an_empty_name_and_foreign_contacts(tenant, other_tenant):
    site = SiteFactory(organization=tenant.organization, client=tenant.client)
    with pytest.raises(ApplicationError) as empty:
        services.site_contact_add(organization=tenant.organization, actor=access_of(tenant), site_id=site.pk, name=" ")
    assert empty.value.field == "name"
    foreign = SiteContactFactory(site=SiteFactory(organization=other_tenant.organization, client=other_tenant.client))
    with pytest.raises(NotFound):
        services.site_contact_remove(organization=tenant.organization, actor=access_of(tenant), contact_id=foreign.pk)
