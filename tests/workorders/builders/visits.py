"""Builders shared by the visit tests (no tests here): a program whose approved SOW has one task per kind of
evidence, an enrolled Chicago site open all week, the tenant's technician (linked to the technician member's
user) with the skill, a work order with every readiness gate green and a rendered packet — so visits can be
booked, dispatched and worked through the real services — and photo/signature fixtures built with Pillow."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from PIL import ExifTags, Image

from programs.choices import EvidenceKind, SowStatus
from programs.models import Program, Sow
from rollout.choices import Role
from rollout.tenancy import Access
from technicians.models import Skill, Technician
from tests.programs.factories import EnrollmentFactory, ProgramFactory, SowFactory, SowTaskFactory
from tests.sites.factories import SiteContactFactory, SiteFactory
from tests.technicians.factories import SkillFactory, TechnicianFactory
from tests.workorders.factories import ShipmentFactory, WorkOrderFactory
from workorders.choices import PacketStatus
from workorders.models import Packet, Visit, WorkOrder
from workorders.packets.selectors import packet_compile_many
from workorders.visits.services import field_actions, planning

CHICAGO = ZoneInfo("America/Chicago")
# A Wednesday in the future, so that rules read the same whenever the tests run.
VISIT_DAY = date(2027, 3, 3)
OPEN_ALL_WEEK = {day: ["06:00-22:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SITE_POINT = (Decimal("41.900000"), Decimal("-87.650000"))
# About 45 m north of the site; and about 2.2 km north.
NEAR = (Decimal("41.900400"), Decimal("-87.650000"))
FAR = (Decimal("41.920000"), Decimal("-87.650000"))
# (key, title, evidence kind) in SOW order.
TASKS = [
    ("survey", "Photograph the checkout area", EvidenceKind.PHOTO),
    ("mount", "Mount the terminal", EvidenceKind.SERIAL),
    ("cable", "Measure the cable run", EvidenceKind.MEASUREMENT),
    ("test", "Test a sale with the manager", EvidenceKind.SIGNATURE),
    ("tidy", "Tidy up", EvidenceKind.NONE),
]


def access_for(tenant, role: Role) -> Access:
    membership = tenant.members[role]
    return Access(
        organization=tenant.organization,
        role=role,
        user=membership.user,
        membership=membership,
        client_id=membership.client_id,
    )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


@dataclass
class FieldWorld:
    tenant: object
    program: Program
    sow: Sow
    skill: Skill
    technician: Technician  # linked to the tenant's technician member

    @property
    def organization(self):
        return self.tenant.organization

    @property
    def coordinator(self) -> Access:
        return access_for(self.tenant, Role.COORDINATOR)

    @property
    def tech(self) -> Access:
        return access_for(self.tenant, Role.TECHNICIAN)


def build_sow(program: Program) -> Sow:
    sow = SowFactory(program=program, version=1)
    for position, (key, title, evidence) in enumerate(TASKS, start=1):
        SowTaskFactory(
            sow=sow,
            key=key,
            title=title,
            position=position,
            required_skill="pos-install" if key == "mount" else "",
            estimated_minutes=10,  # the whole packet fits an hour's window (the duration gate)
            evidence_kind=evidence,
            instructions=f"**{title}** carefully.",
            photo_min_count=2 if evidence == EvidenceKind.PHOTO else None,
            serial_pattern=r"SCO\d{6}" if evidence == EvidenceKind.SERIAL else "",
            measurement_unit="m" if evidence == EvidenceKind.MEASUREMENT else "",
            measurement_min=Decimal("0.5") if evidence == EvidenceKind.MEASUREMENT else None,
            measurement_max=Decimal("30") if evidence == EvidenceKind.MEASUREMENT else None,
        )
    sow.status = SowStatus.APPROVED
    sow.approved_at = timezone.now()
    sow.save()
    return sow


def build_field_world(tenant, *, code: str = "sco-2027", **program_values) -> FieldWorld:
    organization = tenant.organization
    program = ProgramFactory(organization=organization, client=tenant.client, code=code, **program_values)
    sow = build_sow(program)
    skill = Skill.objects.for_organization(organization).filter(slug="pos-install").first() or SkillFactory(
        organization=organization, slug="pos-install", name="POS install"
    )
    user = tenant.members[Role.TECHNICIAN].user
    technician = Technician.objects.for_organization(organization).filter(user=user).first() or TechnicianFactory(
        organization=organization, user=user, email=user.email, full_name="Tomás Alvarez", skills=[skill]
    )
    return FieldWorld(tenant=tenant, program=program, sow=sow, skill=skill, technician=technician)


def other_technician(world: FieldWorld, **values) -> Technician:
    """Another eligible technician of the organization (no user: not the technician member)."""
    values.setdefault("full_name", "Rosa Delgado")
    return TechnicianFactory(organization=world.organization, skills=[world.skill], **values)


def ready_work_order(world: FieldWorld, *, status: str = "ready", site_code: str | None = None, **site_values):
    """A work order whose readiness gates can all be green: approved SOW, no variations, a delivered shipment, the
    site contact confirmed; a rendered packet (v1) for the technician to acknowledge."""
    site_values.setdefault("latitude", SITE_POINT[0])
    site_values.setdefault("longitude", SITE_POINT[1])
    site_values.setdefault("access_hours", OPEN_ALL_WEEK)
    site_values.setdefault("blackout_dates", [])
    if site_code:
        site_values["code"] = site_code
    site = SiteFactory(organization=world.organization, client=world.program.client, **site_values)
    SiteContactFactory(site=site, name="Dana Store-Manager", is_primary=True)
    enrollment = EnrollmentFactory(program=world.program, site=site)
    work_order = WorkOrderFactory(
        enrollment=enrollment,
        sow=world.sow,
        status=status,
        site_contact_confirmed_at=timezone.now(),
        site_contact_confirmed_by_label="coordinator@example.com",
    )
    ShipmentFactory(work_order=work_order)
    rendered_packet(work_order)
    return work_order


def rendered_packet(work_order: WorkOrder) -> Packet:
    """Packet v(N+1) compiled from the program's SOW, marked rendered (no PDF: rendering is tested elsewhere)."""
    program = Program.objects.select_related("client").get(pk=work_order.program_id)
    sow = Sow.objects.get(pk=work_order.sow_id)
    snapshot = packet_compile_many(
        organization=work_order.organization, program=program, sow=sow, work_orders=[work_order]
    )[work_order.pk]
    last = Packet.objects.filter(work_order=work_order).order_by("-version").first()
    packet = Packet.objects.create(
        organization=work_order.organization,
        work_order=work_order,
        version=(last.version if last else 0) + 1,
        snapshot=snapshot.to_json(),
        checksum=snapshot.checksum,
        sow=sow,
        status=PacketStatus.RENDERED,
        rendered_at=timezone.now(),
    )
    if last is not None:
        Packet.objects.filter(pk=last.pk).update(superseded_by=packet)
    return packet


def book(world: FieldWorld, work_order: WorkOrder, *, technician=None, day=VISIT_DAY, start=(9, 0), end=(12, 0)):
    """Book a visit through the service, as a coordinator."""
    return planning.visit_schedule(
        organization=world.organization,
        actor=world.coordinator,
        work_order_id=work_order.pk,
        technician_id=(technician or world.technician).pk,
        day=day,
        start_time=time(*start),
        end_time=time(*end),
    )


def acknowledge(world: FieldWorld, work_order: WorkOrder) -> None:
    from workorders.packets.services import packet_acknowledge

    packet = Packet.objects.current().get(work_order=work_order)
    packet_acknowledge(organization=world.organization, actor=world.tech, packet_id=packet.pk)


def booked_visit(world: FieldWorld, **site_values) -> Visit:
    """A visit booked for the world's technician on VISIT_DAY 09:00–12:00, packet acknowledged (so check-in can
    dispatch the work order)."""
    work_order = ready_work_order(world, **site_values)
    visit = book(world, work_order)
    acknowledge(world, work_order)
    return visit


_counter = iter(range(1, 10**9))


def action_id() -> str:
    return f"00000000-0000-4000-8000-{next(_counter):012d}"


def act(world: FieldWorld, visit: Visit, service, *, client_action_id=None, actor=None, **fields):
    """Send one field action through its service as the phone does: a client action id (a fresh one unless given),
    the phone's clock, the world's technician (or `actor`)."""
    return service(
        organization=world.organization,
        actor=actor or world.tech,
        visit_id=visit.pk,
        client_action_id=client_action_id or action_id(),
        device_time=timezone.now(),
        **fields,
    )


def check_in(world: FieldWorld, visit: Visit, *, point=NEAR, accuracy=12.0, **extra):
    values = {"location_status": "ok", "latitude": point[0], "longitude": point[1], "accuracy_m": accuracy}
    return act(world, visit, field_actions.visit_check_in, **{**values, **extra})


def result(world: FieldWorld, visit: Visit, task_key: str, status: str = "done", **values):
    return act(world, visit, field_actions.visit_task_result, task_key=task_key, status=status, **values)


def photo(world: FieldWorld, visit: Visit, task_key: str = "survey", data: bytes | None = None, **values):
    values.setdefault("filename", "IMG_0001.jpg")
    data = data if data is not None else jpeg_bytes()
    return act(world, visit, field_actions.visit_photo_add, task_key=task_key, data=data, **values)


def sign(world: FieldWorld, visit: Visit, name: str = "Dana Store-Manager", signature: str | None = None, **values):
    signature = signature or signature_data_url()
    return act(world, visit, field_actions.visit_sign_off, name=name, signature=signature, **values)


def check_out(world: FieldWorld, visit: Visit, outcome: str = "complete", **values):
    return act(world, visit, field_actions.visit_check_out, outcome=outcome, **values)


def complete_evidence(world: FieldWorld, visit: Visit) -> None:
    """Every task done with its evidence, and the sign-off."""
    photo(world, visit, data=jpeg_bytes(color=(10, 200, 10)))
    photo(world, visit, data=jpeg_bytes(color=(10, 10, 200)))
    result(world, visit, "survey")
    result(world, visit, "mount", serial=f"SCO{visit.pk:06d}")
    result(world, visit, "cable", measurement=Decimal("12.5"))
    result(world, visit, "test")
    result(world, visit, "tidy", status="not_applicable")
    sign(world, visit)


# --- Images ------------------------------------------------------------------------------------------------


def jpeg_bytes(*, size=(640, 480), color=(200, 30, 30), exif: bool = False) -> bytes:
    """A real JPEG; with `exif`, the camera's time (2027-03-03 09:15:30 -06:00), GPS (41.9 N, 87.65 W) and a
    rotate-90 orientation."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if not exif:
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
    tags = Image.Exif()
    tags[ExifTags.Base.Orientation] = 6
    details = tags.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2027:03:03 09:15:30"
    details[ExifTags.Base.OffsetTimeOriginal] = "-06:00"
    gps = tags.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (41.0, 54.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (87.0, 39.0, 0.0)
    image.save(out, "JPEG", quality=80, exif=tags)
    return out.getvalue()


def png_bytes(*, size=(400, 300), mode="RGB") -> bytes:
    image = Image.new(mode, size, (20, 120, 220) if mode == "RGB" else (20, 120, 220, 128))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (90, 90, 90)).save(out, "WEBP")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG (a few hundred bytes) whose header declares huge dimensions: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def signature_data_url(png: bytes | None = None) -> str:
    if png is None:
        image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
        for x in range(50, 550):
            image.putpixel((x, 100 + (x % 40) - 20), (0, 0, 0, 255))
        out = io.BytesIO()
        image.save(out, "PNG")
        png = out.getvalue()
    return "data:image/png;base64," + base64.b64encode(png).decode()
