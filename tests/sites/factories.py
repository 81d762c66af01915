"""Factories of the sites app; every object stays inside one organization."""

from decimal import Decimal

import factory

from sites.models import Site, SiteContact
from tests.factories import ClientFactory, OrganizationFactory


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    client = factory.SubFactory(ClientFactory, organization=factory.SelfAttribute("..organization"))
    code = factory.Sequence(lambda n: f"S-{n:05d}")
    name = factory.Sequence(lambda n: f"Store {n}")
    address_line1 = factory.Sequence(lambda n: f"{n} Main St")
    city = "Chicago"
    state = "IL"
    postal_code = "60601"
    country = "US"
    latitude = Decimal("41.878100")
    longitude = Decimal("-87.629800")
    timezone = "America/Chicago"
    access_hours = factory.LazyFunction(lambda: {"mon": ["06:00-22:00"], "sat": ["08:00-20:00"]})
    blackout_dates = factory.LazyFunction(lambda: ["2026-12-25"])
    attributes = factory.LazyFunction(lambda: {"store_format": "mall", "floors": 2})


class SiteContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteContact

    site = factory.SubFactory(SiteFactory)
    organization = factory.SelfAttribute("site.organization")
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Store manager"
    phone = "+1 312 555 0100"
    email = factory.Sequence(lambda n: f"contact{n}@store.example.com")
