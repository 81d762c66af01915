"""Writes of a program's attribute schema: the site attributes the program expects (name, type, allowed
values for a choice, required), which enrolled sites are checked against and the site import can use.

Each service is one transaction on the locked program, audited. Names follow the sites app's rule for
attribute names (sites.values.clean_attribute_name), so every name here is one a site can carry.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from programs.choices import AttributeType
from programs.models import ProgramAttribute
from programs.services import _check_open, _lock_program
from rollout.audit import audit_created, audit_deleted, audited_save
from rollout.errors import ApplicationError, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access
from sites.values import MAX_ATTRIBUTE_TEXT, SiteValueError, clean_attribute_name

ATTRIBUTE_FIELDS = ["name", "label", "type", "allowed_values", "required", "help_text"]
MAX_ALLOWED_VALUES = 200


def attribute_default_label(name: str) -> str:
    """store_format → Store format."""
    return name.replace("_", " ").capitalize()


def _clean_allowed(values: Any) -> list[str]:
    if values in (None, ""):
        values = []
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ApplicationError("Give the allowed values as a list.", field="allowed_values", code="invalid")
    cleaned = []
    for value in values:
        if not isinstance(value, str):
            raise ApplicationError("Allowed values of a choice are text.", field="allowed_values", code="invalid")
        value = value.strip()
        if not value:
            continue
        if len(value) > MAX_ATTRIBUTE_TEXT:
            raise ApplicationError(
                f"An allowed value is at most {MAX_ATTRIBUTE_TEXT} characters.", field="allowed_values", code="invalid"
            )
        if value in cleaned:
            raise ApplicationError(f"“{value}” is listed twice.", field="allowed_values", code="duplicate_value")
        cleaned.append(value)
    if len(cleaned) > MAX_ALLOWED_VALUES:
        raise ApplicationError(
            f"A choice has at most {MAX_ALLOWED_VALUES} values.", field="allowed_values", code="too_many"
        )
    return cleaned


def _clean_attribute(values: dict) -> dict:
    """Check an attribute's full set of values; a type other than choice keeps no allowed values."""
    name = (values.get("name") or "").strip()
    try:
        values["name"] = clean_attribute_name(name)
    except SiteValueError as error:
        raise ApplicationError(str(error), field="name", code="invalid_name") from error
    kind = values.get("type") or AttributeType.STR
    if kind not in AttributeType.values:
        raise ApplicationError(f"“{kind}” is not an attribute type.", field="type", code="invalid_choice")
    values["type"] = kind
    if kind == AttributeType.CHOICE:
        values["allowed_values"] = _clean_allowed(values.get("allowed_values"))
        if not values["allowed_values"]:
            raise ApplicationError(
                "A choice needs at least one allowed value.", field="allowed_values", code="required"
            )
    else:
        values["allowed_values"] = []
    values["label"] = (values.get("label") or "").strip() or attribute_default_label(values["name"])
    values["help_text"] = (values.get("help_text") or "").strip()
    values["required"] = bool(values.get("required"))
    return values


def _check_name_free(organization, program_id: int, name: str, *, exclude_pk: int | None = None) -> None:
    clash = ProgramAttribute.objects.for_organization(organization).filter(program_id=program_id, name=name)
    if clash.exclude(pk=exclude_pk).exists():
        raise ApplicationError(f"This program already declares “{name}”.", field="name", code="duplicate_name")


def _lock_attribute(organization, attribute_id: int) -> ProgramAttribute:
    attribute = ProgramAttribute.objects.for_organization(organization).filter(pk=attribute_id).first()
    if attribute is None:
        raise NotFound()
    _check_open(_lock_program(organization, attribute.program_id))
    return ProgramAttribute.objects.select_for_update().select_related("program").get(pk=attribute.pk)


@transaction.atomic
def program_attribute_add(
    *, organization: Organization, actor: Access | User | None, program_id: int, name: str, **fields: Any
) -> ProgramAttribute:
    """Declare an attribute the program expects of its sites (unique name per program)."""
    unknown = set(fields) - set(ATTRIBUTE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown attribute fields: {sorted(unknown)}")
    program = _lock_program(organization, program_id)
    _check_open(program)
    values = _clean_attribute({"name": name, **fields})
    _check_name_free(organization, program.pk, values["name"])
    try:
        with transaction.atomic():
            attribute = ProgramAttribute.objects.create(organization=organization, program=program, **values)
    except IntegrityError as exc:  # a concurrent add took the name first
        raise ApplicationError(
            f"This program already declares “{values['name']}”.", field="name", code="duplicate_name"
        ) from exc
    audit_created(organization, actor, attribute, ["program", *ATTRIBUTE_FIELDS], verb="program_attribute.added")
    return attribute


@transaction.atomic
def program_attribute_update(
    *, organization: Organization, actor: Access | User | None, attribute_id: int, **changes: Any
) -> ProgramAttribute:
    """Change a declared attribute (its name too, if still free in the program)."""
    unknown = set(changes) - set(ATTRIBUTE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown attribute fields: {sorted(unknown)}")
    attribute = _lock_attribute(organization, attribute_id)
    values = _clean_attribute({**{name: getattr(attribute, name) for name in ATTRIBUTE_FIELDS}, **changes})
    if values["name"] != attribute.name:
        _check_name_free(organization, attribute.program_id, values["name"], exclude_pk=attribute.pk)
    return audited_save(
        organization,
        actor,
        attribute,
        {name: values[name] for name in ATTRIBUTE_FIELDS},
        verb="program_attribute.updated",
    )


@transaction.atomic
def program_attribute_delete(*, organization: Organization, actor: Access | User | None, attribute_id: int) -> None:
    """Stop expecting an attribute (sites keep their values; they are just no longer checked)."""
    attribute = _lock_attribute(organization, attribute_id)
    audit_deleted(organization, actor, attribute, ["program", *ATTRIBUTE_FIELDS], verb="program_attribute.deleted")
    attribute.delete()
