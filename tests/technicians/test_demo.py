"""The demo workforce: realistic content, and a seed that can run twice without changing anything."""

from datetime import timedelta

from django.utils import timezone

from rollout.demo.seed import seed_core
from technicians.demo import seed as demo
from technicians.models import Certification, Skill, Technician, TechnicianSkill, TimeOff, Vendor
from technicians.selectors import technicians_qualified_for

MODELS = [Vendor, Skill, Technician, TechnicianSkill, Certification, TimeOff]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_twice_gives_the_same_rows(db):
    # given the core demo and the technicians seed run once
    context = seed_core()
    demo.seed(context)
    first = counts()
    # when both run again
    demo.seed(seed_core())
    # then nothing was added
    assert counts() == first
    assert first["Technician"] == 13  # twelve in Northwind, the shared technician's profile in Bluebird


def test_the_demo_shows_what_coordinators_must_notice(db):
    # given the seeded demo
    context = seed_core()
    demo.seed(context)
    northwind, bluebird = context.organizations["northwind"], context.organizations["bluebird"]
    today = timezone.localdate()
    # then Northwind has vendors (one insured only for a few more weeks), an expired certification, time off now
    assert Vendor.objects.for_organization(northwind).count() == 3
    assert (
        Vendor.objects.for_organization(northwind)
        .filter(insurance_expires_on__gte=today, insurance_expires_on__lte=today + timedelta(days=30))
        .exists()
    )
    assert Certification.objects.for_organization(northwind).filter(expires_on__lt=today).count() == 1
    assert TimeOff.objects.for_organization(northwind).filter(start_date__lte=today, end_date__gte=today).exists()
    cities = set(Technician.objects.for_organization(northwind).values_list("home_address", flat=True))
    assert len(cities) == 12
    # and the demo technician's account is linked in both organizations
    tech = context.users[demo.TECH_EMAIL]
    assert Technician.objects.for_organization(northwind).get(user=tech).full_name == "Tomás Alvarez"
    assert Technician.objects.for_organization(bluebird).filter(user=tech).exists()
    # and someone qualifies for a POS install near the Chicago home base on a weekday
    weekday = today + timedelta(days=(7 - today.weekday()) % 7 + 1)  # next Tuesday
    qualified = technicians_qualified_for(
        organization=northwind, skills={"pos-install"}, on_date=weekday, latitude=41.88, longitude=-87.63
    )
    assert "Tomás Alvarez" in [t.full_name for t in qualified]
