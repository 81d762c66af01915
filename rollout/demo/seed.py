"""The demo organization that `make run` loads: realistic, idempotent, and extended by each app.

Each app keeps its demo code in a `<app>/demo/` package: a seeder module with `seed(demo: DemoContext) -> None`
(`<app>/demo/seed.py`, or one per sub-package, as workorders does), listed in APP_SEEDERS; seed_demo calls them
in dependency order after the core. Every seeder must be idempotent (get_or_create by natural keys).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

from django.db import transaction

from rollout.choices import Role
from rollout.models import Client, Membership, Organization, User

DEMO_PASSWORD = "tutti-demo-2026"
# Seeder modules, in dependency order; one that does not exist (yet) is skipped.
APP_SEEDERS = [
    "sites.demo.seed",
    "programs.demo.seed",
    "technicians.demo.seed",
    "workorders.demo.work_orders",
    "workorders.demo.packets",
    "workorders.demo.visits",
    # After the visits: it trains the technicians who hold the pilot's work, then requires the courses, so no visit
    # the demo booked becomes ineligible.
    "programs.demo.training",
    "quality.demo.seed",
    "escalations.demo.seed",
    "notifications.demo.seed",
    "webhooks.demo.seed",
]


@dataclass
class DemoContext:
    """What the core seeded, for app seeders to build on."""

    organizations: dict[str, Organization] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (organization, role, e-mail)


DEMO_ORGANIZATIONS = [
    ("northwind", "Northwind Rollouts", "America/Chicago"),
    ("bluebird", "Bluebird Field Services", "America/New_York"),
]
DEMO_CLIENTS = [
    ("northwind", "harbor", "Harbor Foods", "Dana Whitfield", "dana.whitfield@harborfoods.example"),
    ("northwind", "pinecrest", "Pinecrest Pharmacy", "Luis Ortega", "l.ortega@pinecrest.example"),
    ("bluebird", "metro", "Metro Transit Authority", "Grace Kim", "gkim@metrotransit.example"),
]
# (organization, e-mail, full name, role, client code)
DEMO_MEMBERS = [
    ("northwind", "admin@northwind.example", "Avery Admin", Role.ADMIN, None),
    ("northwind", "pm@northwind.example", "Priya Patel", Role.PM, None),
    ("northwind", "coordinator@northwind.example", "Marcus Reed", Role.COORDINATOR, None),
    ("northwind", "tech@northwind.example", "Tomás Alvarez", Role.TECHNICIAN, None),
    ("northwind", "client@harborfoods.example", "Dana Whitfield", Role.CLIENT, "harbor"),
    ("bluebird", "admin@bluebird.example", "Beatrice Lowe", Role.ADMIN, None),
    ("bluebird", "pm@bluebird.example", "Noah Fischer", Role.PM, None),
    # One technician who works for both companies, so the organization switcher has something to switch.
    ("bluebird", "tech@northwind.example", "Tomás Alvarez", Role.TECHNICIAN, None),
]


@transaction.atomic
def seed_core() -> DemoContext:
    demo = DemoContext()
    for slug, name, tz in DEMO_ORGANIZATIONS:
        demo.organizations[slug], _ = Organization.objects.get_or_create(
            slug=slug, defaults={"name": name, "timezone": tz}
        )
    for org_slug, code, name, contact, email in DEMO_CLIENTS:
        organization = demo.organizations[org_slug]
        demo.clients[code], _ = Client.objects.get_or_create(
            organization=organization,
            code=code,
            defaults={"name": name, "contact_name": contact, "contact_email": email},
        )
    for org_slug, email, full_name, role, client_code in DEMO_MEMBERS:
        user = demo.users.get(email) or User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
        demo.users[email] = user
        Membership.objects.get_or_create(
            organization=demo.organizations[org_slug],
            user=user,
            defaults={"role": role, "client": demo.clients[client_code] if client_code else None},
        )
        demo.logins.append((demo.organizations[org_slug].name, Role(role).label, email))
    return demo


def demo_seeder(module: str) -> ModuleType | None:
    """The seeder module named in APP_SEEDERS, or None when it (or its app) does not exist."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and (module == error.name or module.startswith(f"{error.name}.")):
            return None
        raise
