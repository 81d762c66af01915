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
# Real ZIP codes of each city (a store's ZIP is one of its city's, so addresses look right).
CITY_ZIPS = {
    "New York": "10001 10003 10011 10016 10019 10022 10025 10028",
    "Brooklyn": "11201 11205 11211 11215 11217 11222 11226 11238",
    "Buffalo": "14201 14202 14207 14209 14213 14214 14216 14222",
    "Boston": "02108 02110 02115 02116 02118 02127 02130 02135",
    "Providence": "02903 02904 02905 02906 02907 02908 02909",
    "Hartford": "06103 06105 06106 06112 06114 06120",
    "Philadelphia": "19102 19103 19106 19107 19123 19130 19143 19147",
    "Pittsburgh": "15201 15203 15206 15213 15217 15222 15224 15232",
    "Newark": "07102 07103 07104 07105 07107 07108 07112 07114",
    "Baltimore": "21201 21202 21211 21213 21218 21224 21230 21231",
    "Washington": "20001 20002 20003 20005 20009 20010 20016 20037",
    "Richmond": "23219 23220 23221 23222 23223 23224 23225 23226",
    "Virginia Beach": "23451 23452 23454 23455 23456 23462 23464",
    "Raleigh": "27601 27603 27604 27605 27606 27607 27608 27609",
    "Charlotte": "28202 28203 28204 28205 28206 28207 28209 28210",
    "Charleston": "29401 29403 29407 29412 29414",
    "Atlanta": "30303 30305 30306 30307 30308 30309 30312 30318",
    "Savannah": "31401 31404 31405 31406 31419",
    "Jacksonville": "32202 32204 32205 32207 32210 32216 32246 32256",
    "Orlando": "32801 32803 32804 32805 32806 32807 32812 32819",
    "Tampa": "33602 33603 33604 33606 33609 33610 33611 33629",
    "Miami": "33125 33127 33128 33129 33130 33131 33133 33137",
    "Nashville": "37201 37203 37204 37205 37206 37208 37209 37212",
    "Memphis": "38103 38104 38105 38106 38107 38111 38117 38120",
    "Birmingham": "35203 35204 35205 35206 35209 35211 35222 35233",
    "New Orleans": "70112 70113 70115 70116 70117 70118 70119 70130",
    "Louisville": "40202 40203 40204 40205 40206 40208 40215 40217",
    "Cincinnati": "45202 45203 45206 45208 45209 45219 45220 45223",
    "Columbus": "43201 43202 43203 43205 43206 43212 43214 43215",
    "Cleveland": "44102 44103 44105 44106 44109 44113 44114 44115",
    "Detroit": "48201 48202 48205 48206 48207 48208 48210 48226",
    "Grand Rapids": "49503 49504 49505 49506 49507 49508",
    "Indianapolis": "46201 46202 46203 46204 46205 46208 46220 46225",
    "Chicago": "60601 60605 60607 60608 60610 60611 60614 60616 60618 60622 60625 60640 60647 60657",
    "Milwaukee": "53202 53203 53204 53205 53206 53207 53208 53212",
    "Madison": "53703 53704 53705 53711 53713 53714 53715 53726",
    "Minneapolis": "55401 55403 55404 55405 55406 55407 55408 55414",
    "St. Louis": "63101 63103 63104 63108 63109 63110 63116 63118",
    "Kansas City": "64105 64106 64108 64109 64110 64111 64112 64131",
    "Omaha": "68102 68104 68105 68106 68107 68108 68114 68131",
    "Des Moines": "50309 50310 50311 50312 50314 50315 50316 50317",
    "Dallas": "75201 75204 75205 75206 75208 75214 75219 75226",
    "Fort Worth": "76102 76104 76107 76109 76110 76111 76116 76133",
    "Houston": "77002 77003 77004 77006 77007 77008 77019 77098",
    "Austin": "78701 78702 78703 78704 78705 78723 78745 78751",
    "San Antonio": "78201 78202 78204 78205 78207 78209 78210 78212",
    "Oklahoma City": "73102 73103 73104 73106 73107 73109 73112 73118",
    "Albuquerque": "87102 87104 87106 87107 87108 87110 87112 87123",
    "Phoenix": "85003 85004 85006 85007 85008 85012 85013 85016",
    "Tucson": "85701 85705 85711 85712 85716 85719",
    "Las Vegas": "89101 89102 89104 89106 89107 89109 89119 89121",
    "Denver": "80202 80203 80204 80205 80206 80209 80210 80218",
    "Salt Lake City": "84101 84102 84103 84104 84105 84106 84111 84115",
    "Boise": "83702 83703 83704 83705 83706 83709 83713 83716",
    "Los Angeles": "90012 90013 90015 90017 90026 90027 90029 90036",
    "San Diego": "92101 92102 92103 92104 92105 92107 92110 92116",
    "San Jose": "95110 95112 95116 95117 95118 95122 95125 95128",
    "San Francisco": "94102 94103 94107 94109 94110 94114 94115 94117",
    "Sacramento": "95811 95814 95816 95817 95818 95819 95820 95822",
    "Portland": "97201 97202 97205 97209 97210 97212 97214 97217",
    "Seattle": "98101 98102 98103 98104 98105 98107 98109 98122",
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
# supercenters, and every fifth one a mall store whose installers come in after closing, overnight — the way retail
# POS rollouts are installed — so that the pilot's crew (workorders.demo.work_orders.CREW) works around the clock.
AROUND_THE_CLOCK_CITY, AROUND_THE_CLOCK_STORES = "Chicago", 10
DAY_AND_NIGHT, AFTER_CLOSING = ("supercenter", "daily 00:00-24:00"), ("mall", "daily 21:30-09:30")
AROUND_THE_CLOCK = [DAY_AND_NIGHT, AFTER_CLOSING, DAY_AND_NIGHT, DAY_AND_NIGHT, DAY_AND_NIGHT]
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
    """One of the city's real ZIP codes."""
    return rng.choice(CITY_ZIPS[city].split())


def _harbor_rows(rng: random.Random) -> list[dict]:
    rows = []
    number = 1000
    for city, state, lat, lng, tz, region in US_CITIES:
        for index in range(HARBOR_STORES_PER_CITY):
            number += 1
            store_format = rng.choices([f for f, _ in FORMATS], weights=[w for _, w in FORMATS])[0]
            access_hours = ACCESS_HOURS[store_format]
            if city == AROUND_THE_CLOCK_CITY and index < AROUND_THE_CLOCK_STORES:
                store_format, access_hours = AROUND_THE_CLOCK[index % len(AROUND_THE_CLOCK)]
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
