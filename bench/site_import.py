"""Site import: a generated CSV of N sites (real US cities), dry run and commit, on PostgreSQL.

Cases, each beside its ceilings measured in the same run on the same database and the very rows the commit wrote:
- the user's whole path (upload + dry run, then commit) of N new sites, beside ORM `bulk_create` (goal ≥ 0.5×);
- the commit alone, beside `bulk_create` and beside COPY (goal ≥ 0.25× of COPY).
Each timing covers the whole job: the service call and the Celery task body it triggers (run inline).
"""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
import time
from pathlib import Path

from bench.report import Row

NAME = "site_import"
BAD_ROWS = 1_000
CITIES = [
    ("New York", "NY", "10001", 40.7128, -74.0060),
    ("Los Angeles", "CA", "90012", 34.0522, -118.2437),
    ("Chicago", "IL", "60601", 41.8781, -87.6298),
    ("Houston", "TX", "77002", 29.7604, -95.3698),
    ("Phoenix", "AZ", "85004", 33.4484, -112.0740),
    ("Philadelphia", "PA", "19107", 39.9526, -75.1652),
    ("San Antonio", "TX", "78205", 29.4241, -98.4936),
    ("San Diego", "CA", "92101", 32.7157, -117.1611),
    ("Dallas", "TX", "75201", 32.7767, -96.7970),
    ("Denver", "CO", "80202", 39.7392, -104.9903),
    ("Seattle", "WA", "98101", 47.6062, -122.3321),
    ("Boston", "MA", "02108", 42.3601, -71.0589),
    ("Miami", "FL", "33131", 25.7617, -80.1918),
    ("Atlanta", "GA", "30303", 33.7490, -84.3880),
    ("Detroit", "MI", "48226", 42.3314, -83.0458),
    ("Minneapolis", "MN", "55401", 44.9778, -93.2650),
    ("Indianapolis", "IN", "46204", 39.7684, -86.1581),
    ("Louisville", "KY", "40202", 38.2527, -85.7585),
    ("Boise", "ID", "83702", 43.6150, -116.2023),
    ("Anchorage", "AK", "99501", 61.2181, -149.9003),
    ("Honolulu", "HI", "96813", 21.3069, -157.8583),
    ("Salt Lake City", "UT", "84111", 40.7608, -111.8910),
    ("Nashville", "TN", "37203", 36.1627, -86.7816),
    ("Portland", "OR", "97204", 45.5152, -122.6784),
]
HOURS = ["mon-fri 06:00-22:00; sat 08:00-20:00", "daily 07:00-23:00", "mon-sat 09:00-21:00; sun 10:00-18:00"]
FORMATS = ["mall", "street", "outlet", "supercenter"]
HEADER = [
    "code",
    "name",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "timezone",
    "access_hours",
    "blackout_dates",
    "attr:store_format",
    "attr:floors:int",
    "attr:ceiling_height_m:float",
    "attr:has_loading_dock:bool",
]
PROBLEMS = ("latitude", "timezone", "duplicate", "type", "hours")


def generate(path: Path, rows: int, *, bad: int = 0, name_suffix: str = "") -> None:
    """A CSV of `rows` sites; `bad` of them spread evenly with one problem each (five kinds in turn)."""
    rng = random.Random(42)
    every = rows // bad if bad else 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            city, state, postal, lat, lng = CITIES[n % len(CITIES)]
            row = {
                "code": f"B-{n:06d}",
                "name": f"Store {n}{name_suffix}",
                "address1": f"{rng.randint(1, 9999)} Main St",
                "address2": f"Suite {n % 300}" if n % 4 == 0 else "",
                "city": city,
                "state": state,
                "postal_code": postal,
                "country": "US",
                "latitude": f"{lat + rng.uniform(-0.05, 0.05):.6f}",
                "longitude": f"{lng + rng.uniform(-0.05, 0.05):.6f}",
                "timezone": "",  # derived from the coordinates for every row
                "access_hours": HOURS[n % len(HOURS)],
                "blackout_dates": "2026-11-26;2026-12-25" if n % 2 else "",
                "attr:store_format": FORMATS[n % len(FORMATS)],
                "attr:floors:int": str(1 + n % 3),
                "attr:ceiling_height_m:float": f"{3 + (n % 20) / 10:.1f}",
                "attr:has_loading_dock:bool": "true" if n % 3 else "false",
            }
            if every and n % every == 0 and n // every <= bad:
                problem = PROBLEMS[(n // every) % len(PROBLEMS)]
                if problem == "latitude":
                    row["latitude"] = "95.5"
                elif problem == "timezone":
                    row["timezone"] = "Mars/Olympus_Mons"
                elif problem == "duplicate":
                    row["code"] = f"B-{n - 1:06d}"
                elif problem == "type":
                    row["attr:floors:int"] = "two"
                else:
                    row["access_hours"] = "mon-fri 25:00-26:00"
            writer.writerow([row[column] for column in HEADER])


def _copy_text(rows: list[dict], columns: list[str]) -> io.StringIO:
    """`rows` in COPY's text format: tab-separated, \\N for NULL, JSON for the JSON columns."""

    def cell(value) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, dict | list):
            value = json.dumps(value)
        text = str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(cell(row[column]) for column in columns))
        buffer.write("\n")
    buffer.seek(0)
    return buffer


def run(size) -> list[Row]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction

    from rollout.choices import Role
    from rollout.models import Client, Membership, Organization, User
    from rollout.tenancy import Access
    from sites import services
    from sites.models import Site, SiteImport

    rows = size.pick(50_000, 5_000, 200)
    organization, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench-client", defaults={"name": "Bench"})
    user, _ = User.objects.get_or_create(email="bench@example.com")
    membership, _ = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": Role.ADMIN}
    )
    access = Access(organization=organization, role=Role.ADMIN, user=user, membership=membership)

    def reset() -> None:
        SiteImport.objects.for_organization(organization).delete()
        with connection.cursor() as cursor:  # untimed; the ORM's cascade collector would take minutes at 50,000
            cursor.execute("DELETE FROM sites_site WHERE organization_id = %s", [organization.pk])

    def upload(path: Path) -> SiteImport:
        site_import = services.site_import_create(
            organization=organization,
            actor=access,
            client=client,
            upload=SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv"),
        )
        site_import.refresh_from_db()
        return site_import

    def commit(site_import: SiteImport) -> SiteImport:
        services.site_import_commit(organization=organization, actor=access, import_id=site_import.pk)
        site_import.refresh_from_db()
        if site_import.status != SiteImport.Status.COMMITTED:
            raise RuntimeError(f"commit ended {site_import.status}: {site_import.failure_message}")
        return site_import

    fields = [field for field in Site._meta.concrete_fields if not field.primary_key]
    columns = [field.column for field in fields]
    attnames = [field.attname for field in fields]
    whole, commits, bulk, copy = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sites.csv"
        generate(path, rows)
        megabytes = path.stat().st_size / 1_000_000
        for _ in range(size.runs):
            # The product: the user's whole path (upload + dry run, then commit), and the commit alone.
            reset()
            started = time.perf_counter()
            checked = upload(path)
            dry_run = time.perf_counter() - started
            assert checked.error_count == 0 and checked.created_count == rows, checked.errors[:3]
            started = time.perf_counter()
            done = commit(checked)
            committed = time.perf_counter() - started
            assert done.created_count == rows, done.created_count
            whole.append(rows / (dry_run + committed))
            commits.append(rows / committed)
            # The ceilings: the very rows the commit wrote, written again on the same database by the ORM's
            # bulk_create, and by COPY (into a temporary table, then INSERT … SELECT: PostgreSQL refuses COPY FROM
            # into a table under row-level security for a role subject to it).
            same = list(Site.objects.for_organization(organization).values(*attnames))
            reset()
            started = time.perf_counter()
            with transaction.atomic():
                Site.objects.bulk_create([Site(**values) for values in same], batch_size=2_000)
            bulk.append(rows / (time.perf_counter() - started))
            reset()
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                listed = ", ".join(columns)
                cursor.execute(
                    "CREATE TEMPORARY TABLE bench_site_copy ON COMMIT DROP AS "
                    f"SELECT {listed} FROM sites_site WITH NO DATA"
                )
                cursor.copy_expert(f"COPY bench_site_copy ({listed}) FROM STDIN", _copy_text(same, attnames))
                cursor.execute(f"INSERT INTO sites_site ({listed}) SELECT {listed} FROM bench_site_copy")
            copy.append(rows / (time.perf_counter() - started))
            assert Site.objects.for_organization(organization).count() == rows
        reset()
    note = f"{rows:,} new sites, {megabytes:.1f} MB CSV"
    return [
        Row(NAME, "upload + dry run + commit (the user's path)", "rows/s", whole, "ORM bulk_create", bulk,
            goal=0.5, note=note),
        Row(NAME, "upload + dry run + commit (the user's path)", "rows/s", whole, "COPY + INSERT…SELECT", copy,
            note=note),
        Row(NAME, "commit alone", "rows/s", commits, "ORM bulk_create", bulk, note=note),
        Row(NAME, "commit alone", "rows/s", commits, "COPY + INSERT…SELECT", copy, goal=0.25,
            note="COPY into a temporary table (RLS refuses COPY FROM), then one INSERT"),
    ]  # fmt: skip
