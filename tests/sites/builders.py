"""Builders of the sites tests: site files (CSV and XLSX), imports run through the real services, and service
callers per role."""

import io
import re
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from rollout.choices import Role
from sites import services
from sites.models import SiteImport

HEADER = (
    "code,name,address1,address2,city,state,postal_code,country,latitude,longitude,timezone,"
    "access_hours,blackout_dates,attr:store_format,attr:floors:int"
)


def site_line(n: int, **overrides) -> str:
    values = {
        "code": f"S-{n:05d}",
        "name": f"Store {n}",
        "address1": f"{n} Main St",
        "address2": "",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60601",
        "country": "US",
        "latitude": "41.8781",
        "longitude": "-87.6298",
        "timezone": "America/Chicago",
        "access_hours": "mon-fri 06:00-22:00; sat 08:00-20:00",
        "blackout_dates": "2026-12-24;2026-12-25",
        "attr:store_format": "mall",
        "attr:floors:int": "2",
    }
    values.update(overrides)
    return ",".join(_csv_quote(values[column]) for column in HEADER.split(","))


def _csv_quote(value: str) -> str:
    return f'"{value}"' if any(char in value for char in ',"\n') else value


def csv_text(count: int = 3, *, header: str = HEADER, rows: list[str] | None = None, newline: str = "\n") -> str:
    lines = [header, *(rows if rows is not None else [site_line(n) for n in range(1, count + 1)])]
    return newline.join(lines) + newline


def upload(content: str | bytes, name: str = "sites.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_bytes(rows: list[list], cached: dict[str, str] | None = None) -> bytes:
    """An XLSX of `rows` (strings starting with = are formulas). `cached` gives the saved value of formula
    cells by reference ({"C2": "CHICAGO"}), as Excel stores it; openpyxl cannot write those itself."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not cached:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in cached.items():
                    kind = "" if re.fullmatch(r"-?\d+(\.\d+)?", value) else ' t="str"'
                    text = re.sub(
                        rf'<c r="{ref}"><f>(.*?)</f><v\s*/></c>',
                        lambda match, kind=kind, value=value, ref=ref: (
                            f'<c r="{ref}"{kind}><f>{match.group(1)}</f><v>{value}</v></c>'
                        ),
                        text,
                    )
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def run_import(tenant, content, name="sites.csv", *, client=None, capture=None, role=Role.PM) -> SiteImport:
    """Upload through the service; the dry-run task runs when the transaction commits (eager Celery)."""
    with capture(execute=True):
        site_import = services.site_import_create(
            organization=tenant.organization,
            actor=access_of(tenant, role),
            client=client or tenant.client,
            upload=upload(content, name),
        )
    site_import.refresh_from_db()
    return site_import


def commit_import(tenant, site_import, *, capture, role=Role.PM) -> SiteImport:
    with capture(execute=True):
        services.site_import_commit(
            organization=tenant.organization, actor=access_of(tenant, role), import_id=site_import.pk
        )
    site_import.refresh_from_db()
    return site_import


def access_of(tenant, role=Role.PM):
    from rollout.selectors import access_for_user

    return access_for_user(user=tenant.members[Role(role)].user, organization_id=tenant.organization.pk)
