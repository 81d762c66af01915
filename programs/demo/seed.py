"""Demo programs for `seed_demo`: Harbor Foods' self-checkout rollout (active, 1,220 stores in three waves, a
two-version SOW with conditional tasks and materials, site variations in every state) and a smaller Pinecrest
Pharmacy program still in planning with a draft SOW.

Everything goes through the services (programs.services, enrollments, attributes, variations), as a PM would
do it, so the audit trail reads like a real plan. Idempotent: each object is found by its natural key (program
code, wave name, attribute name, SOW version, variation reason) and made only when missing; a second run
changes nothing. Runs after the sites seeder (rollout.demo.seed.APP_SEEDERS) and needs its sites.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from programs import attributes, enrollments, services, sows, variations
from programs.choices import AttributeType, EvidenceKind, ProgramStatus, VariationKind, VariationStatus
from programs.models import Enrollment, Program, ProgramAttribute, SiteVariation, Sow, SowMaterial, SowTask, Wave
from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.tenancy import Access
from sites.models import Site

PM_EMAIL = "pm@northwind.example"
SCO_CODE = "sco-2026"
PHARMACY_CODE = "pp-wifi-2027"

# --- Harbor Foods: Self-checkout rollout 2026 ------------------------------------------------------------

SCO_PROGRAM = {
    "code": SCO_CODE,
    "name": "Self-checkout rollout 2026",
    "description": (
        "Replace two staffed lanes with a bank of four self-checkout kiosks in every Harbor Foods store: survey, "
        "power and data, mount, configure, test with live transactions, sign-off by the store manager. Pilot in "
        "Chicago before the holidays, then the Northeast and Southwest in Wave 1 and the rest of the country in "
        "Wave 2."
    ),
    "start_date": date(2026, 11, 16),
    "end_date": date(2027, 6, 30),
    "target_drft_percent": Decimal("99.70"),
    "checkin_grace_minutes": 20,
    "warranty_window_days": 30,
    "geofence_radius_m": 250,
    "geofence_enforced": True,
}
# (name, start, end). Pilot stores are Chicago's first ten; Wave 1 takes the NE and SW regions, Wave 2 the rest.
SCO_WAVES = [
    ("Pilot", date(2026, 11, 30), date(2026, 12, 18)),
    ("Wave 1", date(2027, 1, 11), date(2027, 3, 19)),
    ("Wave 2", date(2027, 3, 29), date(2027, 6, 25)),
]
PILOT_CITY, PILOT_SIZE = "Chicago", 10
WAVE_1_REGIONS = {"NE", "SW"}

# (name, type, allowed values, required, help text)
SCO_ATTRIBUTES = [
    (
        "store_format",
        AttributeType.CHOICE,
        ["supercenter", "neighborhood", "mall", "express"],
        True,
        "Decides the mall permit and the kiosk count.",
    ),
    ("ceiling_height_m", AttributeType.FLOAT, [], True, "Above 4.5 m the lane lights need a lift."),
    ("floors", AttributeType.INT, [], False, "Two or more: wall bracket kit for the upper-floor cabinet."),
    ("has_backroom_closet", AttributeType.BOOL, [], False, "No closet: a wall-mount network cabinet is installed."),
    ("is_franchise", AttributeType.BOOL, [], False, "Franchise stores sign their own acceptance."),
]

PHOTO, SERIAL, MEASUREMENT, SIGNATURE, NONE = (
    EvidenceKind.PHOTO,
    EvidenceKind.SERIAL,
    EvidenceKind.MEASUREMENT,
    EvidenceKind.SIGNATURE,
    EvidenceKind.NONE,
)
SCO_TASKS = [
    {
        "key": "site-survey",
        "title": "Site survey photos",
        "instructions": (
            "Photograph the front-end before you touch anything:\n\n"
            "- the two lanes being replaced, from the entrance\n"
            "- the floor where the kiosks will stand\n"
            "- the nearest power outlet and network drop\n"
            "- the back room or closet where the switch lives"
        ),
        "required_skill": "kiosk-config",
        "estimated_minutes": 20,
        "evidence_kind": PHOTO,
        "photo_min_count": 4,
    },
    {
        "key": "mall-access-permit",
        "title": "Mall management access permit",
        "instructions": (
            "Collect the contractor permit from the mall management office **before** unloading. Show it to mall "
            "security at the service entrance and photograph it."
        ),
        "estimated_minutes": 15,
        "evidence_kind": PHOTO,
        "photo_min_count": 1,
        "condition": 'store_format = "mall"',
    },
    {
        "key": "power-data-check",
        "title": "Power and data check",
        "instructions": (
            "Measure the outlet voltage at the kiosk position with a multimeter and check the data drop links at "
            "1 Gbit/s. Stop and call the coordinator if the voltage is outside the range."
        ),
        "required_skill": "low-voltage",
        "estimated_minutes": 15,
        "evidence_kind": MEASUREMENT,
        "measurement_unit": "V",
        "measurement_min": Decimal("110"),
        "measurement_max": Decimal("125"),
    },
    {
        "key": "install-network-cabinet",
        "title": "Install network cabinet",
        "instructions": (
            "The store has no back-room closet: mount the 6U wall cabinet at least 2.1 m high on the wall behind "
            "the service desk, move the switch into it and label every port."
        ),
        "required_skill": "network-cabling",
        "estimated_minutes": 90,
        "evidence_kind": PHOTO,
        "photo_min_count": 2,
        "condition": "not has_backroom_closet",
    },
    {
        "key": "unbox-stage",
        "title": "Unbox and stage kiosks",
        "instructions": (
            "Unbox the kiosks in the back room, check for shipping damage and record each kiosk's serial number "
            "from the label under the scanner bed."
        ),
        "required_skill": "kiosk-config",
        "estimated_minutes": 30,
        "evidence_kind": SERIAL,
        "serial_pattern": "^SCO-[0-9]{6}$",
    },
    {
        "key": "mount-kiosk",
        "title": "Mount kiosks",
        "instructions": (
            "Anchor each kiosk base to the floor with the four M10 anchors, level it, and route power and data "
            "through the base. Keep 36 in of clear floor in front of every kiosk."
        ),
        "required_skill": "pos-install",
        "estimated_minutes": 60,
        "evidence_kind": PHOTO,
        "photo_min_count": 2,
    },
    {
        "key": "lift-assisted-mount",
        "title": "Lift-assisted mount of lane lights",
        "instructions": (
            "The ceiling is above 4.5 m: use the scissor lift (booked with the materials) to hang the lane lights "
            "and the ceiling drop. Two technicians, harness on, aisle taped off."
        ),
        "required_skill": "signage-mount",
        "estimated_minutes": 45,
        "evidence_kind": PHOTO,
        "photo_min_count": 1,
        "condition": "ceiling_height_m > 4.5",
    },
    {
        "key": "network-config",
        "title": "Network configuration",
        "instructions": (
            "Patch each kiosk to the POS VLAN, confirm it gets its reserved address, and enroll it in device "
            "management with the store's code."
        ),
        "required_skill": "kiosk-config",
        "estimated_minutes": 25,
        "evidence_kind": NONE,
    },
    {
        "key": "test-transactions",
        "title": "Test transactions",
        "instructions": "Run three test transactions on every kiosk with the test card: card, coupon, weighed item.",
        "required_skill": "kiosk-config",
        "estimated_minutes": 20,
        "evidence_kind": PHOTO,
        "photo_min_count": 1,
    },
    {
        "key": "signage",
        "title": "Install signage",
        "instructions": "Hang the self-checkout lane sign and the two floor decals from the signage set.",
        "required_skill": "signage-mount",
        "estimated_minutes": 15,
        "evidence_kind": PHOTO,
        "photo_min_count": 1,
    },
    {
        "key": "cleanup",
        "title": "Clean up",
        "instructions": "Take all packaging away (the store has no room for it) and sweep the front-end.",
        "estimated_minutes": 15,
        "evidence_kind": PHOTO,
        "photo_min_count": 1,
    },
    {
        "key": "manager-signoff",
        "title": "Store manager sign-off",
        "instructions": "Walk the store manager through the kiosks and have them sign the acceptance.",
        "estimated_minutes": 10,
        "evidence_kind": SIGNATURE,
    },
]
SCO_MATERIALS = [
    {"key": "kiosk", "part_number": "SCO-K200", "description": "Self-checkout kiosk", "quantity": Decimal("4")},
    {
        "key": "kiosk-extra",
        "part_number": "SCO-K200",
        "description": "Additional kiosk for large front-ends",
        "quantity": Decimal("2"),
        "condition": "checkout_lanes >= 15",
    },
    {
        "key": "wall-bracket",
        "part_number": "BRK-WALL-2F",
        "description": "Wall bracket kit (upper-floor cabinet)",
        "quantity": Decimal("1"),
        "unit": "kit",
        "condition": "floors >= 2",
    },
    {
        "key": "network-cabinet",
        "part_number": "NET-CAB-6U",
        "description": "6U wall-mount network cabinet",
        "quantity": Decimal("1"),
        "condition": "not has_backroom_closet",
    },
    {"key": "cat6", "part_number": "CAT6-305", "description": "Cat6 cable, 305 m box", "unit": "box"},
    {"key": "signage-set", "part_number": "SIGN-SCO", "description": "Lane sign and floor decals", "unit": "set"},
    {
        "key": "scissor-lift",
        "part_number": "LIFT-RENT-1D",
        "description": "Scissor lift rental",
        "quantity": Decimal("1"),
        "unit": "day",
        "condition": "ceiling_height_m > 4.5",
    },
]
SCO_V1_NOTES = "First release: the plan the pilot runs on."
SCO_V2_NOTES = (
    "After the pilot: a longer test script with a refund, an accessibility clearance check after mounting, and a "
    "second box of cable (long runs to the back room in most pilot stores)."
)
SCO_V2_TASK_CHANGES = {
    "test-transactions": {
        "instructions": (
            "Run five test transactions on every kiosk with the test card: card, contactless, coupon, weighed item, "
            "and a **refund** approved from the attendant station."
        ),
        "estimated_minutes": 30,
    }
}
SCO_V2_NEW_TASK = {
    "key": "accessibility-check",
    "title": "Accessibility clearance check",
    "instructions": "Measure the clear floor space in front of the lowest kiosk; it must be at least 36 in deep.",
    "required_skill": "pos-install",
    "estimated_minutes": 10,
    "evidence_kind": MEASUREMENT,
    "measurement_unit": "in",
    "measurement_min": Decimal("36"),
}
SCO_V2_NEW_TASK_AFTER = "mount-kiosk"
SCO_V2_MATERIAL_CHANGES = {"cat6": {"quantity": Decimal("2")}}

# Site variations: (site pick, kind, status, reason, fields, decision note). Picks are resolved against the
# stores deterministically (see _pick_site) so the same run picks the same stores.
PICK_STRIDE = {"any": 41, "mall": 47, "supercenter": 53, "no_closet": 59, "franchise": 43}
APPROVED, PENDING, REJECTED = VariationStatus.APPROVED, VariationStatus.PENDING, VariationStatus.REJECTED
SCO_VARIATIONS = [
    (("mall", 0), VariationKind.ACCESS_NOTE, APPROVED, "Mall rules for contractors.",
     {"note": "Loading dock closes at 09:00. Use the east service corridor; badges at the mall security office."},
     "Matches the mall's contractor handbook."),
    (("pilot", 0), VariationKind.SKIP_TASK, APPROVED, "Surveyed in person while planning the pilot; photos on file.",
     {"task_key": "site-survey"}, ""),
    (("pilot", 1), VariationKind.MODIFY_TASK, APPROVED, "Heated concrete floor: no drilling allowed.",
     {"task_key": "mount-kiosk", "instructions": "Use the adhesive mounting plates (in the kit); do **not** drill "
      "the floor, the heating loops are 5 cm below the surface.", "estimated_minutes": 75},
     "Facilities confirmed the floor plan."),
    (("supercenter", 0), VariationKind.ADD_TASK, APPROVED, "Two legacy lanes must go before the kiosks fit.",
     {"title": "Remove legacy lanes 5 and 6", "after_task_key": "unbox-stage", "required_skill": "pos-install",
      "estimated_minutes": 60, "evidence_kind": EvidenceKind.PHOTO, "photo_min_count": 2,
      "instructions": "Disconnect and remove the two staffed lanes; the store's own crew takes the counters away."},
     ""),
    (("any", 3), VariationKind.EXTRA_MATERIAL, APPROVED, "Power dips reported by the store; protect the kiosks.",
     {"part_number": "UPS-1500", "description": "1500 VA UPS for the kiosk bank", "quantity": Decimal("1")},
     "Approved by Harbor Foods IT."),
    (("supercenter", 1), VariationKind.ACCESS_NOTE, APPROVED, "24-hour store: daytime work blocks the front-end.",
     {"note": "Work overnight only, 22:00–05:00. Night manager: ask at the service desk."}, ""),
    (("no_closet", 0), VariationKind.SKIP_TASK, APPROVED, "Harbor Foods IT installs this store's cabinet itself.",
     {"task_key": "install-network-cabinet"}, "IT ticket HF-IT-4471."),
    (("any", 7), VariationKind.MODIFY_TASK, APPROVED, "The payment terminal is in training mode only after 21:00.",
     {"task_key": "test-transactions", "instructions": "Run the test transactions after 21:00, when the store "
      "switches the payment terminal to training mode."}, ""),
    (("any", 11), VariationKind.ACCESS_NOTE, PENDING, "Manager asks for notice.",
     {"note": "Call the store manager 24 hours before arrival."}, ""),
    (("any", 15), VariationKind.EXTRA_MATERIAL, PENDING, "Back room is far from the front-end: long cable runs.",
     {"part_number": "CAT6-305", "description": "Cat6 cable, 305 m box", "quantity": Decimal("1"), "unit": "box"},
     ""),
    (("any", 19), VariationKind.MODIFY_TASK, PENDING, "The store runs its POS on VLAN 40.",
     {"task_key": "network-config", "instructions": "Patch the kiosks to **VLAN 40** (this store's POS VLAN), not "
      "the default."}, ""),
    (("mall", 1), VariationKind.ACCESS_NOTE, PENDING, "Low garage clearance.",
     {"note": "The mall garage clears 2.1 m only: park the box truck on street level, east entrance."}, ""),
    (("any", 23), VariationKind.ADD_TASK, PENDING, "Store asks to move the lottery terminal out of the way.",
     {"title": "Move the lottery terminal", "after_task_key": "mount-kiosk", "estimated_minutes": 20,
      "evidence_kind": EvidenceKind.NONE, "instructions": "Move the lottery terminal to the service desk."}, ""),
    (("franchise", 0), VariationKind.SKIP_TASK, REJECTED, "Franchisee wants to hang their own signage.",
     {"task_key": "signage"}, "Brand standards apply to franchise stores too."),
    (("any", 27), VariationKind.EXTRA_MATERIAL, REJECTED, "Store manager asks for a fifth kiosk.",
     {"part_number": "SCO-K200", "description": "Self-checkout kiosk", "quantity": Decimal("1")},
     "Not in Harbor Foods' order; raise a change request with the client."),
]  # fmt: skip

# --- Pinecrest Pharmacy: a smaller program still in planning ----------------------------------------------

PHARMACY_PROGRAM = {
    "code": PHARMACY_CODE,
    "name": "Pharmacy Wi-Fi refresh 2027",
    "description": "Replace the pharmacy access points and add a guest network in every Pinecrest store.",
    "start_date": date(2027, 2, 1),
    "end_date": date(2027, 5, 28),
    "target_drft_percent": Decimal("99.00"),
}
PHARMACY_WAVES = [("Pilot", date(2027, 2, 8), date(2027, 2, 26))]
PHARMACY_PILOT_SIZE = 5
PHARMACY_TASKS = [
    {
        "key": "wifi-survey",
        "title": "Wi-Fi survey",
        "required_skill": "wifi-survey",
        "estimated_minutes": 45,
        "evidence_kind": PHOTO,
        "photo_min_count": 2,
    },
    {
        "key": "replace-aps",
        "title": "Replace access points",
        "required_skill": "network-cabling",
        "estimated_minutes": 60,
        "evidence_kind": SERIAL,
        "serial_pattern": "^AP[0-9A-F]{10}$",
    },
    {
        "key": "signal-check",
        "title": "Signal check at the pharmacy counter",
        "required_skill": "wifi-survey",
        "estimated_minutes": 15,
        "evidence_kind": MEASUREMENT,
        "measurement_unit": "dBm",
        "measurement_min": Decimal("-67"),
    },
]
PHARMACY_MATERIALS = [{"key": "ap", "part_number": "AP-6E", "description": "Wi-Fi 6E access point", "quantity": 2}]


# --- Helpers ------------------------------------------------------------------------------------------------


def _program(organization, actor: Access, client, values: dict) -> Program:
    program = Program.objects.for_organization(organization).filter(code=values["code"]).first()
    if program is not None:
        return program
    return services.program_create(
        organization=organization, actor=actor, client=client, responsible_pm=actor.user, **values
    )


def _waves(organization, actor: Access, program: Program, plan) -> dict[str, Wave]:
    existing = {wave.name: wave for wave in Wave.objects.for_organization(organization).filter(program=program)}
    for name, start, end in plan:
        if name not in existing:
            existing[name] = services.wave_create(
                organization=organization, actor=actor, program_id=program.pk, name=name, start_date=start, end_date=end
            )
    return existing


def _attributes(organization, actor: Access, program: Program) -> None:
    declared = set(
        ProgramAttribute.objects.for_organization(organization).filter(program=program).values_list("name", flat=True)
    )
    for name, kind, allowed, required, help_text in SCO_ATTRIBUTES:
        if name not in declared:
            attributes.program_attribute_add(
                organization=organization,
                actor=actor,
                program_id=program.pk,
                name=name,
                type=kind,
                allowed_values=allowed,
                required=required,
                help_text=help_text,
            )


def _write_lines(organization, actor: Access, sow: Sow, tasks: list[dict], materials: list[dict]) -> None:
    for task in tasks:
        sows.sow_task_add(organization=organization, actor=actor, sow_id=sow.pk, **task)
    for material in materials:
        sows.sow_material_add(organization=organization, actor=actor, sow_id=sow.pk, **material)


def _sco_sows(organization, actor: Access, program: Program) -> None:
    """v1 (12 tasks, 7 materials) approved, then v2 based on it (one task changed, one added, one material
    quantity changed) approved too, so the program's diff has something to show."""
    versions = {sow.version: sow for sow in Sow.objects.for_organization(organization).filter(program=program)}
    if 1 not in versions:
        draft = sows.sow_create_draft(organization=organization, actor=actor, program_id=program.pk, notes=SCO_V1_NOTES)
        _write_lines(organization, actor, draft, SCO_TASKS, SCO_MATERIALS)
        versions[1] = sows.sow_approve(organization=organization, actor=actor, sow_id=draft.pk)
    if 2 not in versions:
        draft = sows.sow_create_draft(organization=organization, actor=actor, program_id=program.pk, notes=SCO_V2_NOTES)
        tasks = {task.key: task for task in SowTask.objects.for_organization(organization).filter(sow=draft)}
        for key, changes in SCO_V2_TASK_CHANGES.items():
            sows.sow_task_update(organization=organization, actor=actor, task_id=tasks[key].pk, **changes)
        sows.sow_task_add(
            organization=organization,
            actor=actor,
            sow_id=draft.pk,
            position=tasks[SCO_V2_NEW_TASK_AFTER].position + 1,
            **SCO_V2_NEW_TASK,
        )
        materials = {line.key: line for line in SowMaterial.objects.for_organization(organization).filter(sow=draft)}
        for key, changes in SCO_V2_MATERIAL_CHANGES.items():
            sows.sow_material_update(organization=organization, actor=actor, material_id=materials[key].pk, **changes)
        sows.sow_approve(organization=organization, actor=actor, sow_id=draft.pk)


def _enroll(organization, actor: Access, program: Program, plan: dict[int, list[int]]) -> None:
    """Enroll each wave's sites (wave id → site ids) that are not enrolled yet; enrolled sites stay where they are."""
    enrolled = set(
        Enrollment.objects.for_organization(organization).filter(program=program).values_list("site_id", flat=True)
    )
    for wave_id, site_ids in plan.items():
        missing = [site_id for site_id in site_ids if site_id not in enrolled]
        if missing:
            enrollments.enrollment_bulk_create(
                organization=organization, actor=actor, program_id=program.pk, site_ids=missing, wave_id=wave_id
            )


def _sco_wave_plan(organization, program: Program, waves: dict[str, Wave]) -> dict[int, list[int]]:
    stores = list(
        Site.objects.for_organization(organization)
        .filter(client_id=program.client_id)
        .order_by("code")
        .values_list("pk", "city", "attributes")
    )
    pilot = [pk for pk, city, _ in stores if city == PILOT_CITY][:PILOT_SIZE]
    chosen = set(pilot)
    wave_1 = [pk for pk, _, attrs in stores if pk not in chosen and (attrs or {}).get("region") in WAVE_1_REGIONS]
    chosen.update(wave_1)
    wave_2 = [pk for pk, _, _ in stores if pk not in chosen]
    return {waves["Pilot"].pk: pilot, waves["Wave 1"].pk: wave_1, waves["Wave 2"].pk: wave_2}


def _pick_site(stores: list[tuple[int, str, dict]], pilot: set[int], pick: tuple[str, int]) -> int:
    """The n-th store of a kind (pilot, mall, supercenter, no_closet, franchise, or any), taking every few stores
    in code order so that the picks spread across the country instead of bunching in the first city."""
    kind, n = pick
    if kind == "pilot":
        return [pk for pk, _, _ in stores if pk in pilot][n]
    if kind == "any":
        matching = [pk for pk, _, _ in stores if pk not in pilot]
    elif kind == "no_closet":
        matching = [pk for pk, _, attrs in stores if attrs.get("has_backroom_closet") is False]
    elif kind == "franchise":
        matching = [pk for pk, _, attrs in stores if attrs.get("is_franchise") is True]
    else:
        matching = [pk for pk, _, attrs in stores if attrs.get("store_format") == kind and pk not in pilot]
    return matching[:: PICK_STRIDE[kind]][n]


def _sco_variations(organization, actor: Access, program: Program, pilot_wave: Wave) -> None:
    stores = [
        (pk, code, attrs or {})
        for pk, code, attrs in Site.objects.for_organization(organization)
        .filter(enrollments__program=program)
        .order_by("code")
        .values_list("pk", "code", "attributes")
    ]
    pilot = set(
        Enrollment.objects.for_organization(organization)
        .filter(program=program, wave=pilot_wave)
        .values_list("site_id", flat=True)
    )
    existing = set(
        SiteVariation.objects.for_organization(organization).filter(program=program).values_list("site_id", "reason")
    )
    for pick, kind, status, reason, fields, decision in SCO_VARIATIONS:
        site_id = _pick_site(stores, pilot, pick)
        if (site_id, reason) in existing:
            continue
        variation = variations.site_variation_create(
            organization=organization,
            actor=actor,
            program_id=program.pk,
            site_id=site_id,
            kind=kind,
            reason=reason,
            **fields,
        )
        if status == APPROVED:
            variations.site_variation_approve(
                organization=organization, actor=actor, variation_id=variation.pk, note=decision
            )
        elif status == REJECTED:
            variations.site_variation_reject(
                organization=organization, actor=actor, variation_id=variation.pk, note=decision
            )


def _advance(organization, actor: Access, program: Program, path: list[str]) -> None:
    """Walk the program's status along `path` from wherever it is (a re-run finds it there already)."""
    for status in path:
        program.refresh_from_db(fields=["status"])
        if program.status == path[-1]:
            return
        if status in services.program_allowed_moves(program):
            services.program_transition(organization=organization, actor=actor, program_id=program.pk, to_status=status)


def _seed_harbor(organization, actor: Access, client) -> None:
    program = _program(organization, actor, client, SCO_PROGRAM)
    waves = _waves(organization, actor, program, SCO_WAVES)
    _attributes(organization, actor, program)
    _sco_sows(organization, actor, program)
    _enroll(organization, actor, program, _sco_wave_plan(organization, program, waves))
    _advance(organization, actor, program, [ProgramStatus.PILOT, ProgramStatus.ACTIVE])
    _sco_variations(organization, actor, program, waves["Pilot"])


def _seed_pinecrest(organization, actor: Access, client) -> None:
    program = _program(organization, actor, client, PHARMACY_PROGRAM)
    waves = _waves(organization, actor, program, PHARMACY_WAVES)
    if not Sow.objects.for_organization(organization).filter(program=program).exists():
        draft = sows.sow_create_draft(
            organization=organization, actor=actor, program_id=program.pk, notes="Draft: waiting for the AP model."
        )
        _write_lines(organization, actor, draft, PHARMACY_TASKS, PHARMACY_MATERIALS)
    pharmacies = list(
        Site.objects.for_organization(organization)
        .filter(client_id=client.pk)
        .order_by("code")
        .values_list("pk", flat=True)[:PHARMACY_PILOT_SIZE]
    )
    _enroll(organization, actor, program, {waves["Pilot"].pk: pharmacies})


@transaction.atomic
def seed(demo: DemoContext) -> None:
    """Northwind's programs: Harbor Foods' active self-checkout rollout and Pinecrest's Wi-Fi refresh in planning."""
    northwind = demo.organizations["northwind"]
    pm = demo.users[PM_EMAIL]
    actor = Access(organization=northwind, role=Role.PM, user=pm)
    _seed_harbor(northwind, actor, demo.clients["harbor"])
    _seed_pinecrest(northwind, actor, demo.clients["pinecrest"])
