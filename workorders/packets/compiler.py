"""The packet compiler: the approved SOW resolved against one site, as plain JSON-ready data.

Pure: it reads only the objects it is given (a SOW with its tasks and materials, a site with its
contacts, the site's approved variations, the program) and writes nothing. The same inputs always give
the same snapshot and the same checksum — a sha256 over canonical JSON (sorted keys, no timestamps) —
so that "did this packet change?" is one string comparison.

What it does, in order:
- SOW tasks and materials whose condition is false for the site's attributes drop out;
- approved variations apply in their captured order: an added task is placed after `after_task_key`
  (the end when blank or unknown), a skip removes a task, a change replaces its instructions (and title
  and minutes when given), an extra material adds a line, an access note adds a note;
- every task and material says where it came from (`source`: "sow" or "variation:<id>") and carries the
  variation's reason as its site-specific note; a variation that cannot apply (its task is not in this
  SOW version, or does not apply to the site) is listed with the reason, never silently dropped;
- material quantities are totalled per part number and unit, and the scope summary is counted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import prefetch_related_objects

from programs.choices import EVIDENCE_PARAMETERS, EvidenceKind, VariationKind
from programs.conditions import condition_applies
from sites.selectors import site_access_hours_rows

#: Bumped when the snapshot's shape changes, so old and new snapshots never compare equal by accident.
SNAPSHOT_FORMAT = 1
SOW_SOURCE = "sow"


def variation_source(variation_id: int) -> str:
    return f"variation:{variation_id}"


@dataclass(frozen=True)
class PacketSnapshot:
    """A compiled packet: `content` (JSON-ready, no timestamps) and the sha256 `checksum` of its canonical JSON."""

    content: dict
    checksum: str

    def to_json(self) -> dict:
        """What a Packet stores: the content with its checksum."""
        return {**self.content, "checksum": self.checksum}


def canonical_json(content: dict) -> str:
    """The one serialisation checksums are taken over: sorted keys, no whitespace, UTF-8 text kept."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def snapshot_checksum(content: dict) -> str:
    """sha256 (hex) of the canonical JSON of a snapshot's content (its own `checksum` key excluded)."""
    content = {key: value for key, value in content.items() if key != "checksum"}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _number(value: Decimal | int | float | None) -> str | None:
    """A quantity or measurement bound as exact text ("2", "1.5"): JSON floats would round."""
    if value is None:
        return None
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _evidence(line) -> dict:
    """The evidence a task requires: its kind and only the parameters that belong to that kind."""
    kind = line.evidence_kind or EvidenceKind.NONE
    evidence: dict[str, Any] = {"kind": str(kind)}
    for name in EVIDENCE_PARAMETERS.get(kind, ()):
        value = getattr(line, name)
        evidence[name] = _number(value) if name in ("measurement_min", "measurement_max") else value
    return evidence


def _sow_task(task) -> dict:
    return {
        "key": task.key,
        "title": task.title,
        "instructions": task.instructions or "",
        "required_skill": task.required_skill or "",
        "estimated_minutes": int(task.estimated_minutes or 0),
        "evidence": _evidence(task),
        "source": SOW_SOURCE,
        "site_note": "",
        "modified": [],
    }


def _added_task(variation, key: str) -> dict:
    return {
        "key": key,
        "title": variation.title,
        "instructions": variation.instructions or "",
        "required_skill": variation.required_skill or "",
        "estimated_minutes": int(variation.estimated_minutes or 0),
        "evidence": _evidence(variation),
        "source": variation_source(variation.pk),
        "site_note": variation.reason,
        "modified": [],
    }


def _sow_material(material) -> dict:
    return {
        "key": material.key,
        "part_number": material.part_number,
        "description": material.description or "",
        "quantity": _number(material.quantity),
        "unit": material.unit,
        "source": SOW_SOURCE,
        "site_note": "",
    }


def _extra_material(variation) -> dict:
    return {
        "key": f"extra-{variation.pk}",
        "part_number": variation.part_number,
        "description": variation.description or "",
        "quantity": _number(variation.quantity if variation.quantity is not None else 1),
        "unit": variation.unit or "ea",
        "source": variation_source(variation.pk),
        "site_note": variation.reason,
    }


def _material_totals(materials: list[dict]) -> list[dict]:
    """Quantities summed per (part number, unit), in order of first appearance: the site's bill of materials."""
    totals: dict[tuple[str, str], dict] = {}
    for line in materials:
        key = (line["part_number"], line["unit"])
        total = totals.get(key)
        if total is None:
            totals[key] = {
                "part_number": line["part_number"],
                "description": line["description"],
                "unit": line["unit"],
                "quantity": line["quantity"],
                "lines": 1,
            }
        else:
            total["quantity"] = _number(Decimal(total["quantity"]) + Decimal(line["quantity"]))
            total["lines"] += 1
    return list(totals.values())


def _address_lines(site) -> list[str]:
    locality = " ".join(part for part in (site.state, site.postal_code) if part)
    city_line = ", ".join(part for part in (site.city, locality) if part)
    return [line for line in (site.address_line1, site.address_line2, city_line, site.country) if line]


def _contacts(site) -> list[dict]:
    prefetch_related_objects([site], "contacts")
    return [
        {
            "name": contact.name,
            "role": contact.role,
            "phone": contact.phone,
            "email": contact.email,
            "is_primary": contact.is_primary,
        }
        for contact in site.contacts.all()
    ]


def _sow_lines(sow) -> tuple[list, list]:
    """The SOW's tasks and materials in order; loaded once per SOW object (reuse it across sites)."""
    prefetch_related_objects([sow], "tasks", "materials")
    tasks = sorted(sow.tasks.all(), key=lambda line: (line.position, line.pk))
    materials = sorted(sow.materials.all(), key=lambda line: (line.position, line.pk))
    return tasks, materials


def _summary(tasks: list[dict], materials: list[dict], access_notes: list[dict]) -> dict:
    evidence: dict[str, int] = {}
    for task in tasks:
        kind = task["evidence"]["kind"]
        if kind != EvidenceKind.NONE:
            evidence[kind] = evidence.get(kind, 0) + 1
    return {
        "task_count": len(tasks),
        "estimated_minutes": sum(task["estimated_minutes"] for task in tasks),
        "material_lines": len(materials),
        "evidence": evidence,
        "skills": sorted({task["required_skill"] for task in tasks if task["required_skill"]}),
        "site_specific": sum(1 for line in [*tasks, *materials] if line["source"] != SOW_SOURCE) + len(access_notes),
    }


def packet_compile(*, sow, site, variations: Iterable, program, work_order_number: str | None = None) -> PacketSnapshot:
    """Resolve the SOW against the site with its approved variations; returns the snapshot and its checksum.

    The caller passes approved variations only (programs.selectors.site_variations_for_packet) and an
    approved SOW; this function decides nothing about approval. It reads the SOW's lines and the site's
    contacts through prefetch caches, so compiling many sites against one SOW object reads its lines once.
    """
    attributes = site.attributes or {}
    sow_tasks, sow_materials = _sow_lines(sow)
    variations = sorted(variations, key=lambda variation: (variation.created_at, variation.pk))

    all_keys = {task.key for task in sow_tasks}
    applicable = {task.key for task in sow_tasks if condition_applies(task.condition, attributes)}
    skipped: dict[str, Any] = {}
    modified: dict[str, Any] = {}
    added_after: dict[str, list] = {}
    added_at_end: list = []
    extra_materials: list = []
    access_notes: list[dict] = []
    applied: list[int] = []
    not_applied: list[dict] = []

    def refuse(variation, message: str) -> None:
        not_applied.append({"id": variation.pk, "kind": variation.kind, "message": message})

    for variation in variations:
        kind = variation.kind
        if kind in (VariationKind.SKIP_TASK, VariationKind.MODIFY_TASK):
            key = variation.task_key
            if key not in all_keys:
                refuse(variation, f"SOW v{sow.version} has no task “{key}”.")
            elif key not in applicable:
                refuse(variation, f"Task “{key}” does not apply to this site (its condition is false).")
            elif key in skipped or key in modified:
                refuse(variation, f"Task “{key}” already has a skip or change applied.")
            else:
                (skipped if kind == VariationKind.SKIP_TASK else modified)[key] = variation
                applied.append(variation.pk)
        elif kind == VariationKind.ADD_TASK:
            if variation.after_task_key and variation.after_task_key in all_keys:
                added_after.setdefault(variation.after_task_key, []).append(variation)
            else:
                added_at_end.append(variation)
            applied.append(variation.pk)
        elif kind == VariationKind.EXTRA_MATERIAL:
            extra_materials.append(variation)
            applied.append(variation.pk)
        elif kind == VariationKind.ACCESS_NOTE:
            access_notes.append({"variation_id": variation.pk, "note": variation.note, "reason": variation.reason})
            applied.append(variation.pk)
        else:
            refuse(variation, f"Unknown kind of variation “{kind}”.")

    used_keys = set(all_keys)

    def add(variation) -> dict:
        # A later SOW version may have taken the key the variation chose: keep both, distinctly keyed.
        key = variation.task_key or f"site-task-{variation.pk}"
        if key in used_keys:
            key = f"{key}~{variation.pk}"
        used_keys.add(key)
        return _added_task(variation, key)

    tasks: list[dict] = []
    skipped_tasks: list[dict] = []
    # Additions are placed against the full SOW order, so one placed after a task that does not apply
    # here (or is skipped) still lands where the PM put it.
    for sow_task in sow_tasks:
        if sow_task.key in applicable:
            if sow_task.key in skipped:
                variation = skipped[sow_task.key]
                skipped_tasks.append(
                    {
                        "key": sow_task.key,
                        "title": sow_task.title,
                        "variation_id": variation.pk,
                        "reason": variation.reason,
                    }
                )
            else:
                task = _sow_task(sow_task)
                variation = modified.get(sow_task.key)
                if variation is not None:
                    changes = {"instructions": variation.instructions or ""}
                    if variation.title:
                        changes["title"] = variation.title
                    if variation.estimated_minutes is not None:
                        changes["estimated_minutes"] = int(variation.estimated_minutes)
                    task["modified"] = sorted(name for name, value in changes.items() if task[name] != value)
                    task.update(changes)
                    task["source"] = variation_source(variation.pk)
                    task["site_note"] = variation.reason
                tasks.append(task)
        tasks.extend(add(variation) for variation in added_after.get(sow_task.key, ()))
    tasks.extend(add(variation) for variation in added_at_end)
    for number, task in enumerate(tasks, start=1):
        task["number"] = number

    materials = [_sow_material(line) for line in sow_materials if condition_applies(line.condition, attributes)]
    materials.extend(_extra_material(variation) for variation in extra_materials)

    client = program.client
    content = {
        "format": SNAPSHOT_FORMAT,
        "work_order_number": work_order_number,
        "program": {"id": program.pk, "code": program.code, "name": program.name, "client": client.name},
        "sow": {"id": sow.pk, "version": sow.version},
        "site": {
            "id": site.pk,
            "code": site.code,
            "name": site.name,
            "address": _address_lines(site),
            "city": site.city,
            "state": site.state,
            "postal_code": site.postal_code,
            "country": site.country,
            "latitude": _number(site.latitude),
            "longitude": _number(site.longitude),
            "timezone": site.timezone,
            "access_hours": site.access_hours or {},
            "access_hours_rows": site_access_hours_rows(site),
            "blackout_dates": list(site.blackout_dates or []),
        },
        "contacts": _contacts(site),
        "tasks": tasks,
        "skipped_tasks": skipped_tasks,
        "materials": materials,
        "material_totals": _material_totals(materials),
        "access_notes": access_notes,
        "variations_applied": applied,
        "variations_not_applied": not_applied,
        "summary": _summary(tasks, materials, access_notes),
    }
    return PacketSnapshot(content=content, checksum=snapshot_checksum(content))
