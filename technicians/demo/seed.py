"""Demo vendors, skills and technicians for `seed_demo`: a realistic field workforce across US cities.

Idempotent: every row is found by its natural key (vendor code, skill slug, technician e-mail,
certification name, time-off reason) and created only when missing, so a second run changes nothing.
Dates are relative to the day of the first run (one vendor's insurance expiring soon, one expired
certification, time off now and later), so the demo shows the warnings it is meant to show.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rollout.demo.seed import DemoContext
from rollout.models import Organization, User
from technicians.models import Certification, Skill, Technician, TechnicianSkill, TimeOff, Vendor

TECH_EMAIL = "tech@northwind.example"

# (code, name, contact, e-mail, phone, insurance expires in N days)
VENDORS = [
    ("lakeshore", "Lakeshore Field Services", "Erin Walsh", "dispatch@lakeshore.example", "+1 312 555 0140", 290),
    ("summit", "Summit Tech Partners", "Ray Delgado", "ops@summittech.example", "+1 214 555 0177", 18),
    ("coastal", "Coastal Install Co.", "Mia Thornton", "crew@coastalinstall.example", "+1 305 555 0123", 410),
]

# (slug, name, requires certification, description)
SKILLS = [
    ("pos-install", "POS terminal install", False, "Mount, cable and test point-of-sale terminals and peripherals."),
    ("network-cabling", "Structured cabling", True, "Run, terminate and certify Cat6 drops (BICSI certified)."),
    ("low-voltage", "Low-voltage electrical", True, "Work on low-voltage circuits under a state license."),
    ("wifi-survey", "Wi-Fi site survey", False, "Predictive and on-site surveys, access point placement."),
    ("signage-mount", "Digital signage mounting", False, "Wall and ceiling mounts for screens up to 85 inches."),
    ("kiosk-config", "Kiosk configuration", False, "Image, enroll and test self-service kiosks."),
]

# (e-mail, full name, phone, vendor code or None, city address, lat, lng, time zone, radius km, skills, days)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
TECHNICIANS = [
    (TECH_EMAIL, "Tomás Alvarez", "+1 312 555 0101", None, "233 S Wacker Dr, Chicago, IL",
     "41.878876", "-87.635915", "America/Chicago", 120,
     ["pos-install", "network-cabling", "kiosk-config", "low-voltage", "signage-mount"], WEEKDAYS),
    ("jordan.lee@summittech.example", "Jordan Lee", "+1 214 555 0102", "summit", "2200 Ross Ave, Dallas, TX",
     "32.787560", "-96.798870", "America/Chicago", 100, ["pos-install", "network-cabling"], WEEKDAYS),
    ("keisha.brown@coastalinstall.example", "Keisha Brown", "+1 404 555 0103", "coastal",
     "191 Peachtree St NE, Atlanta, GA", "33.758900", "-84.386500", "America/New_York", 90,
     ["pos-install", "signage-mount"], [*WEEKDAYS, "sat"]),
    ("sam.okafor@lakeshore.example", "Sam Okafor", "+1 303 555 0104", "lakeshore", "1700 Lincoln St, Denver, CO",
     "39.743900", "-104.985600", "America/Denver", 150, ["wifi-survey", "network-cabling"], WEEKDAYS),
    ("ana.ruiz@summittech.example", "Ana Ruiz", "+1 602 555 0105", "summit", "2 N Central Ave, Phoenix, AZ",
     "33.448400", "-112.074000", "America/Phoenix", 120, ["pos-install", "kiosk-config"],
     ["tue", "wed", "thu", "fri", "sat"]),
    ("ben.carter@lakeshore.example", "Ben Carter", "+1 206 555 0106", "lakeshore", "1201 3rd Ave, Seattle, WA",
     "47.607300", "-122.335600", "America/Los_Angeles", 80, ["low-voltage", "signage-mount", "pos-install"], WEEKDAYS),
    ("priya.nair@northwind.example", "Priya Nair", "+1 617 555 0107", None, "1 Federal St, Boston, MA",
     "42.355400", "-71.057000", "America/New_York", 70, ["wifi-survey", "kiosk-config"], WEEKDAYS),
    ("luis.fernandez@coastalinstall.example", "Luis Fernández", "+1 305 555 0108", "coastal",
     "200 S Biscayne Blvd, Miami, FL", "25.772500", "-80.187200", "America/New_York", 110,
     ["pos-install", "low-voltage", "signage-mount"], WEEKDAYS),
    ("hannah.berg@lakeshore.example", "Hannah Berg", "+1 612 555 0109", "lakeshore",
     "80 S 8th St, Minneapolis, MN", "44.975800", "-93.272100", "America/Chicago", 130,
     ["pos-install", "network-cabling"], WEEKDAYS),
    ("derek.wu@northwind.example", "Derek Wu", "+1 614 555 0110", None, "41 S High St, Columbus, OH",
     "39.961200", "-82.999800", "America/New_York", 100, ["pos-install", "wifi-survey"], WEEKDAYS),
    ("grace.mitchell@summittech.example", "Grace Mitchell", "+1 704 555 0111", "summit",
     "101 S Tryon St, Charlotte, NC", "35.226900", "-80.843300", "America/New_York", 90,
     ["kiosk-config", "low-voltage"], WEEKDAYS),
    ("omar.haddad@coastalinstall.example", "Omar Haddad", "+1 615 555 0112", "coastal",
     "501 Broadway, Nashville, TN", "36.161600", "-86.778100", "America/Chicago", 100,
     ["pos-install", "signage-mount", "network-cabling"], ["mon", "wed", "fri", "sat"]),
]  # fmt: skip

# (technician e-mail, certificate name, skill slug, issued N days ago, expires in N days (None: never), reference)
CERTIFICATIONS = [
    (TECH_EMAIL, "BICSI Installer 2, Copper", "network-cabling", 400, 695, "BICSI-INST2-448812"),
    ("jordan.lee@summittech.example", "BICSI Installer 1", "network-cabling", 1110, -20, "BICSI-INST1-301977"),
    ("sam.okafor@lakeshore.example", "BICSI Installer 2, Copper", "network-cabling", 200, 895, "BICSI-INST2-512004"),
    ("ben.carter@lakeshore.example", "WA Limited Energy Electrician (07C)", "low-voltage", 500, 230, "07C-LIC-88213"),
    ("luis.fernandez@coastalinstall.example", "FL Low Voltage License", "low-voltage", 300, 25, "FL-LV-EC130091"),
    ("hannah.berg@lakeshore.example", "BICSI Installer 2, Copper", "network-cabling", 90, 1005, "BICSI-INST2-620310"),
    ("grace.mitchell@summittech.example", "NC Low Voltage License (SP-LV)", "low-voltage", 700, 395, "NC-SPLV-27734"),
    ("omar.haddad@coastalinstall.example", "BICSI Installer 1", "network-cabling", 250, 480, "BICSI-INST1-415520"),
    ("priya.nair@northwind.example", "CWNA (Wi-Fi administrator)", None, 180, 915, "CWNA-221904"),
    (TECH_EMAIL, "OSHA 10 Construction", None, 800, None, "OSHA10-7781120"),
    (TECH_EMAIL, "IL Low Voltage License", "low-voltage", 300, 795, "IL-LV-203377"),
]

# (technician e-mail, starts in N days, lasts N days, reason)
TIME_OFF = [
    ("keisha.brown@coastalinstall.example", -1, 5, "Vacation"),
    ("derek.wu@northwind.example", 14, 3, "Training: Cisco Meraki"),
    (TECH_EMAIL, 30, 2, "Family event"),
]

# The demo technician who works for both companies: their Bluebird profile.
BLUEBIRD_SKILLS = [("fare-terminal", "Fare terminal install", False), ("network-cabling", "Structured cabling", True)]


def _technician(organization: Organization, user: User | None, row) -> Technician:
    email, name, phone, vendor, address, lat, lng, tz, radius, _skills, days = row
    technician, _ = Technician.objects.get_or_create(
        organization=organization,
        email=email,
        defaults={
            "full_name": name,
            "phone": phone,
            "vendor": vendor,
            "home_address": address,
            "home_latitude": Decimal(lat),
            "home_longitude": Decimal(lng),
            "timezone": tz,
            "service_radius_km": radius,
            "working_days": days,
            "work_start": time(7, 30),
            "work_end": time(17, 30),
            "user": user,
        },
    )
    return technician


def _give_skills(organization: Organization, technician: Technician, skills: list[Skill]) -> None:
    for skill in skills:
        TechnicianSkill.objects.get_or_create(organization=organization, technician=technician, skill=skill)


@transaction.atomic
def seed(demo: DemoContext) -> None:
    """Vendors, skills, technicians, certifications and time off for Northwind; the demo technician in Bluebird."""
    today = timezone.localdate()
    tech_user = demo.users.get(TECH_EMAIL) or User.objects.filter(email=TECH_EMAIL).first()

    northwind = demo.organizations["northwind"]
    vendors = {}
    for code, name, contact, email, phone, insured_days in VENDORS:
        vendors[code], _ = Vendor.objects.get_or_create(
            organization=northwind,
            code=code,
            defaults={
                "name": name,
                "contact_name": contact,
                "contact_email": email,
                "contact_phone": phone,
                "insurance_expires_on": today + timedelta(days=insured_days),
            },
        )
    skills = {}
    for slug, name, certified, description in SKILLS:
        skills[slug], _ = Skill.objects.get_or_create(
            organization=northwind,
            slug=slug,
            defaults={"name": name, "requires_certification": certified, "description": description},
        )
    technicians = {}
    for row in TECHNICIANS:
        email, vendor_code, skill_slugs = row[0], row[3], row[9]
        row = (*row[:3], vendors.get(vendor_code), *row[4:])
        technician = _technician(northwind, tech_user if email == TECH_EMAIL else None, row)
        _give_skills(northwind, technician, [skills[slug] for slug in skill_slugs])
        technicians[email] = technician
    for email, name, skill_slug, issued_ago, expires_in, reference in CERTIFICATIONS:
        Certification.objects.get_or_create(
            organization=northwind,
            technician=technicians[email],
            name=name,
            defaults={
                "skill": skills.get(skill_slug),
                "issued_on": today - timedelta(days=issued_ago),
                "expires_on": None if expires_in is None else today + timedelta(days=expires_in),
                "reference": reference,
            },
        )
    for email, starts_in, days, reason in TIME_OFF:
        TimeOff.objects.get_or_create(
            organization=northwind,
            technician=technicians[email],
            reason=reason,
            defaults={
                "start_date": today + timedelta(days=starts_in),
                "end_date": today + timedelta(days=starts_in + days - 1),
            },
        )

    bluebird = demo.organizations["bluebird"]
    bluebird_skills = []
    for slug, name, certified in BLUEBIRD_SKILLS:
        skill, _ = Skill.objects.get_or_create(
            organization=bluebird, slug=slug, defaults={"name": name, "requires_certification": certified}
        )
        bluebird_skills.append(skill)
    chicago = next(row for row in TECHNICIANS if row[0] == TECH_EMAIL)
    tomas = _technician(bluebird, tech_user, (*chicago[:3], None, *chicago[4:]))
    _give_skills(bluebird, tomas, bluebird_skills)
    Certification.objects.get_or_create(
        organization=bluebird,
        technician=tomas,
        name="BICSI Installer 2, Copper",
        defaults={
            "skill": bluebird_skills[1],
            "issued_on": today - timedelta(days=400),
            "expires_on": today + timedelta(days=695),
            "reference": "BICSI-INST2-448812",
        },
    )
