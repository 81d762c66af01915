"""Demo sites: Harbor Foods (~1,200 grocery stores across real US cities), Pinecrest Pharmacy and Metro Transit.

Loaded through the real import path (upload → dry run → all-or-nothing commit), so re-running it updates
nothing and creates no duplicates. Store positions are deterministic jitter around each city's centre.
"""

from __future__ import annotations

import csv
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile

from rollout.choices import Role
from rollout.tenancy import Access
from sites.import_jobs import site_import_validation_run
from sites.models import Site, SiteContact
from sites.services import site_import_apply, site_import_commit, site_import_create

# (city, state, latitude, longitude, time zone, region)
US_CITIES = [
    ("New York", "NY", 40.7128, -74.0060, "America/New_York", "NE"),
    ("Brooklyn", "NY", 40.6782, -73.9442, "America/New_York", "NE"),
    ("Buffalo", "NY", 42.8864, -78.8784, "America/New_York", "NE"),
    ("Boston", "MA", 42.3601, -71.0589, "America/New_York", "NE"),
    ("Providence", "RI", 41.8240, -71.4128, "America/New_York", "NE"),
    ("Hartford", "CT", 41.7658, -72.6734, "America/New_York", "NE"),
    ("Philadelphia", "PA", 39.9526, -75.1652, "America/New_York", "NE"),
    ("Pittsburgh", "PA", 40.4406, -79.9959, "America/New_York", "NE"),
    ("Newark", "NJ", 40.7357, -74.1724, "America/New_York", "NE"),
    ("Baltimore", "MD", 39.2904, -76.6122, "America/New_York", "NE"),
    ("Washington", "DC", 38.9072, -77.0369, "America/New_York", "NE"),
    ("Richmond", "VA", 37.5407, -77.4360, "America/New_York", "SE"),
    ("Virginia Beach", "VA", 36.8529, -75.9780, "America/New_York", "SE"),
    ("Raleigh", "NC", 35.7796, -78.6382, "America/New_York", "SE"),
    ("Charlotte", "NC", 35.2271, -80.8431, "America/New_York", "SE"),
    ("Charleston", "SC", 32.7765, -79.9311, "America/New_York", "SE"),
    ("Atlanta", "GA", 33.7490, -84.3880, "America/New_York", "SE"),
    ("Savannah", "GA", 32.0809, -81.0912, "America/New_York", "SE"),
    ("Jacksonville", "FL", 30.3322, -81.6557, "America/New_York", "SE"),
    ("Orlando", "FL", 28.5383, -81.3792, "America/New_York", "SE"),
    ("Tampa", "FL", 27.9506, -82.4572, "America/New_York", "SE"),
    ("Miami", "FL", 25.7617, -80.1918, "America/New_York", "SE"),
    ("Nashville", "TN", 36.1627, -86.7816, "America/Chicago", "SE"),
    ("Memphis", "TN", 35.1495, -90.0490, "America/Chicago", "SE"),
    ("Birmingham", "AL", 33.5186, -86.8104, "America/Chicago", "SE"),
    ("New Orleans", "LA", 29.9511, -90.0715, "America/Chicago", "SE"),
    ("Louisville", "KY", 38.2527, -85.7585, "America/New_York", "MW"),
    ("Cincinnati", "OH", 39.1031, -84.5120, "America/New_York", "MW"),
    ("Columbus", "OH", 39.9612, -82.9988, "America/New_York", "MW"),
    ("Cleveland", "OH", 41.4993, -81.6944, "America/New_York", "MW"),
    ("Detroit", "MI", 42.3314, -83.0458, "America/Detroit", "MW"),
    ("Grand Rapids", "MI", 42.9634, -85.6681, "America/Detroit", "MW"),
    ("Indianapolis", "IN", 39.7684, -86.1581, "America/Indiana/Indianapolis", "MW"),
    ("Chicago", "IL", 41.8781, -87.6298, "America/Chicago", "MW"),
    ("Milwaukee", "WI", 43.0389, -87.9065, "America/Chicago", "MW"),
    ("Madison", "WI", 43.0731, -89.4012, "America/Chicago", "MW"),
    ("Minneapolis", "MN", 44.9778, -93.2650, "America/Chicago", "MW"),
    ("St. Louis", "MO", 38.6270, -90.1994, "America/Chicago", "MW"),
    ("Kansas City", "MO", 39.0997, -94.5786, "America/Chicago", "MW"),
    ("Omaha", "NE", 41.2565, -95.9345, "America/Chicago", "MW"),
    ("Des Moines", "IA", 41.5868, -93.6250, "America/Chicago", "MW"),
    ("Dallas", "TX", 32.7767, -96.7970, "America/Chicago", "SW"),
    ("Fort Worth", "TX", 32.7555, -97.3308, "America/Chicago", "SW"),
    ("Houston", "TX", 29.7604, -95.3698, "America/Chicago", "SW"),
    ("Austin", "TX", 30.2672, -97.7431, "America/Chicago", "SW"),
    ("San Antonio", "TX", 29.4241, -98.4936, "America/Chicago", "SW"),
    ("Oklahoma City", "OK", 35.4676, -97.5164, "America/Chicago", "SW"),
    ("Albuquerque", "NM", 35.0844, -106.6504, "America/Denver", "SW"),
    ("Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix", "SW"),
    ("Tucson", "AZ", 32.2226, -110.9747, "America/Phoenix", "SW"),
    ("Las Vegas", "NV", 36.1699, -115.1398, "America/Los_Angeles", "W"),
    ("Denver", "CO", 39.7392, -104.9903, "America/Denver", "W"),
    ("Salt Lake City", "UT", 40.7608, -111.8910, "America/Denver", "W"),
    ("Boise", "ID", 43.6150, -116.2023, "America/Boise", "W"),
    ("Los Angeles", "CA", 34.0522, -118.2437, "America/Los_Angeles", "W"),
    ("San Diego", "CA", 32.7157, -117.1611, "America/Los_Angeles", "W"),
    ("San Jose", "CA", 37.3382, -121.8863, "America/Los_Angeles", "W"),
    ("San Francisco", "CA", 37.7749, -122.4194, "America/Los_Angeles", "W"),
    ("Sacramento", "CA", 38.5816, -121.4944, "America/Los_Angeles", "W"),
    ("Portland", "OR", 45.5152, -122.6784, "America/Los_Angeles", "W"),
    ("Seattle", "WA", 47.6062, -122.3321, "America/Los_Angeles", "W"),
]
# Each city's ZIP codes (first, last): a store's ZIP is one of its city's, so addresses look real.
CITY_ZIPS = {
    "New York": (10001, 10040),
    "Brooklyn": (11201, 11239),
    "Buffalo": (14201, 14228),
    "Boston": (2108, 2136),
    "Providence": (2903, 2909),
    "Hartford": (6103, 6120),
    "Philadelphia": (19102, 19154),
    "Pittsburgh": (15201, 15235),
    "Newark": (7102, 7114),
    "Baltimore": (21201, 21239),
    "Washington": (20001, 20037),
    "Richmond": (23219, 23235),
    "Virginia Beach": (23451, 23464),
    "Raleigh": (27601, 27617),
    "Charlotte": (28202, 28227),
    "Charleston": (29401, 29414),
    "Atlanta": (30303, 30342),
    "Savannah": (31401, 31419),
    "Jacksonville": (32202, 32258),
    "Orlando": (32801, 32839),
    "Tampa": (33602, 33629),
    "Miami": (33125, 33145),
    "Nashville": (37201, 37221),
    "Memphis": (38103, 38135),
    "Birmingham": (35203, 35235),
    "New Orleans": (70112, 70131),
    "Louisville": (40202, 40245),
    "Cincinnati": (45202, 45248),
    "Columbus": (43201, 43235),
    "Cleveland": (44102, 44135),
    "Detroit": (48201, 48235),
    "Grand Rapids": (49503, 49548),
    "Indianapolis": (46201, 46260),
    "Chicago": (60601, 60661),
    "Milwaukee": (53202, 53233),
    "Madison": (53703, 53719),
    "Minneapolis": (55401, 55419),
    "St. Louis": (63101, 63139),
    "Kansas City": (64105, 64138),
    "Omaha": (68102, 68164),
    "Des Moines": (50309, 50321),
    "Dallas": (75201, 75252),
    "Fort Worth": (76102, 76137),
    "Houston": (77002, 77099),
    "Austin": (78701, 78759),
    "San Antonio": (78201, 78259),
    "Oklahoma City": (73102, 73162),
    "Albuquerque": (87102, 87123),
    "Phoenix": (85003, 85054),
    "Tucson": (85701, 85750),
    "Las Vegas": (89101, 89149),
    "Denver": (80202, 80239),
    "Salt Lake City": (84101, 84121),
    "Boise": (83702, 83716),
    "Los Angeles": (90012, 90068),
    "San Diego": (92101, 92131),
    "San Jose": (95110, 95139),
    "San Francisco": (94102, 94134),
    "Sacramento": (95811, 95838),
    "Portland": (97201, 97239),
    "Seattle": (98101, 98126),
}
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Market St",
    "Commerce Blvd",
    "Lincoln Ave",
    "Washington St",
    "Park Rd",
    "Elm St",
    "Highland Ave",
    "Center St",
    "Broadway",
    "Lake Shore Dr",
    "Union Ave",
]
FORMATS = [("supercenter", 0.2), ("neighborhood", 0.45), ("mall", 0.15), ("express", 0.2)]
ACCESS_HOURS = {
    "supercenter": "mon-sun 05:00-23:00",
    "neighborhood": "mon-sat 06:00-22:00; sun 08:00-20:00",
    "mall": "mon-sat 10:00-21:00; sun 11:00-18:00",
    "express": "daily 06:00-23:59",
}
# Chicago's first stores (by code) are where the self-checkout pilot runs (programs.demo.seed): 24-hour
# supercenters, and every third one a mall store whose installers come in after closing, overnight — the way retail
# POS rollouts are installed — so that the pilot's crew (workorders.demo.work_orders.CREW) works around the clock.
AROUND_THE_CLOCK_CITY, AROUND_THE_CLOCK_STORES = "Chicago", 10
AROUND_THE_CLOCK = [
    ("supercenter", "daily 00:00-24:00"),
    ("mall", "daily 21:30-09:30"),
    ("supercenter", "daily 00:00-24:00"),
]
HOLIDAY_BLACKOUTS = "2026-11-26;2026-11-27;2026-12-24;2026-12-25;2026-12-31"
MANAGER_NAMES = [
    "Alex Morgan",
    "Jordan Lee",
    "Sam Rivera",
    "Taylor Brooks",
    "Casey Nguyen",
    "Morgan Patel",
    "Riley Johnson",
    "Jamie Chen",
    "Drew Williams",
    "Avery Garcia",
    "Quinn Davis",
    "Reese Martinez",
]
HARBOR_STORES_PER_CITY = 20  # 61 cities → 1,220 stores


def _zip(city: str, rng: random.Random) -> str:
    """A ZIP code of the city's (five digits, leading zeros kept)."""
    first, last = CITY_ZIPS[city]
    return f"{rng.randint(first, last):05d}"


def _harbor_rows(rng: random.Random) -> list[dict]:
    rows = []
    number = 1000
    for city, state, lat, lng, tz, region in US_CITIES:
        for index in range(HARBOR_STORES_PER_CITY):
            number += 1
            store_format = rng.choices([f for f, _ in FORMATS], weights=[w for _, w in FORMATS])[0]
            access_hours = ACCESS_HOURS[store_format]
            if city == AROUND_THE_CLOCK_CITY and index < AROUND_THE_CLOCK_STORES:
                store_format, access_hours = AROUND_THE_CLOCK[index % 3]
            rows.append(
                {
                    "code": f"HF-{number}",
                    "name": f"Harbor Foods {city} #{number}",
                    "address1": f"{rng.randint(100, 9899)} {rng.choice(STREETS)}",
                    "city": city,
                    "state": state,
                    "postal_code": _zip(city, rng),
                    "latitude": f"{lat + rng.uniform(-0.18, 0.18):.6f}",
                    "longitude": f"{lng + rng.uniform(-0.22, 0.22):.6f}",
                    "timezone": tz,
                    "access_hours": access_hours,
                    "blackout_dates": HOLIDAY_BLACKOUTS,
                    "attr:store_format:str": store_format,
                    "attr:region:str": region,
                    "attr:floors:int": str(2 if store_format == "supercenter" and rng.random() < 0.3 else 1),
                    "attr:ceiling_height_m:float": f"{rng.uniform(3.0, 6.5):.1f}",
                    "attr:checkout_lanes:int": str(
                        {"supercenter": 18, "neighborhood": 9, "mall": 6, "express": 4}[store_format]
                        + rng.randint(-2, 3)
                    ),
                    "attr:has_backroom_closet:bool": "true" if rng.random() < 0.8 else "false",
                    "attr:is_franchise:bool": "true" if rng.random() < 0.12 else "false",
                }
            )
    return rows


def _simple_rows(prefix: str, brand: str, cities, per_city: int, rng: random.Random, hours: str) -> list[dict]:
    rows = []
    for index, (city, state, lat, lng, tz, region) in enumerate(cities):
        for n in range(per_city):
            code = f"{prefix}-{index * per_city + n + 1:03d}"
            rows.append(
                {
                    "code": code,
                    "name": f"{brand} {city} {n + 1}",
                    "address1": f"{rng.randint(10, 999)} {rng.choice(STREETS)}",
                    "city": city,
                    "state": state,
                    "postal_code": _zip(city, rng),
                    "latitude": f"{lat + rng.uniform(-0.1, 0.1):.6f}",
                    "longitude": f"{lng + rng.uniform(-0.1, 0.1):.6f}",
                    "timezone": tz,
                    "access_hours": hours,
                    "blackout_dates": "",
                    "attr:region:str": region,
                }
            )
    return rows


def _import(*, organization, actor: Access, client, rows: list[dict], filename: str) -> None:
    """Run rows through the real import: upload, dry run, commit. Raises if the dry run finds problems."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload = SimpleUploadedFile(filename, buffer.getvalue().encode(), content_type="text/csv")
    site_import = site_import_create(organization=organization, actor=actor, client=client, upload=upload)
    site_import_validation_run(organization_id=organization.pk, import_id=site_import.pk)
    site_import.refresh_from_db()
    if site_import.error_count:
        raise RuntimeError(f"Demo import {filename} has problems: {site_import.errors[:3]}")
    site_import_commit(organization=organization, actor=actor, import_id=site_import.pk)
    site_import_apply(organization_id=organization.pk, import_id=site_import.pk)


def _add_contacts(organization, client, rng: random.Random) -> None:
    """One primary store-manager contact per site that has none (fixture data, written in bulk)."""
    sites = Site.objects.for_organization(organization).filter(client=client).exclude(contacts__isnull=False)
    SiteContact.objects.bulk_create(
        [
            SiteContact(
                organization=organization,
                site=site,
                name=rng.choice(MANAGER_NAMES),
                role="Store manager",
                phone=f"+1 555 {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
                email=f"store{site.code.lower()}@{client.code}.example",
                is_primary=True,
            )
            for site in sites.only("id", "code")
        ],
        batch_size=1000,
    )


def seed(demo) -> None:
    rng = random.Random(20261121)
    northwind, bluebird = demo.organizations["northwind"], demo.organizations["bluebird"]
    pm = demo.users["pm@northwind.example"]
    actor = Access(organization=northwind, role=Role.PM, user=pm)
    plans = [
        (northwind, actor, demo.clients["harbor"], _harbor_rows(rng), "harbor-foods-stores.csv"),
        (
            northwind,
            actor,
            demo.clients["pinecrest"],
            _simple_rows(
                "PP", "Pinecrest Pharmacy", US_CITIES[10:22], 5, rng, "mon-fri 08:00-21:00; sat-sun 09:00-18:00"
            ),
            "pinecrest-pharmacies.csv",
        ),
        (
            bluebird,
            Access(organization=bluebird, role=Role.PM, user=demo.users["pm@bluebird.example"]),
            demo.clients["metro"],
            _simple_rows("MTA", "Metro station", US_CITIES[:4], 10, rng, "daily 04:30-23:59"),
            "metro-stations.csv",
        ),
    ]
    for organization, access, client, rows, filename in plans:
        existing = Site.objects.for_organization(organization).filter(client=client).count()
        if existing < len(rows):
            _import(organization=organization, actor=access, client=client, rows=rows, filename=filename)
        _add_contacts(organization, client, rng)
