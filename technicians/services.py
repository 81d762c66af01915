"""Writes of the technicians app: vendors, skills, technicians (and their invitation), certifications, time off.

Each service is one transaction: it locks what it changes, checks the rules, writes, and records an
audit event. Services take the organization explicitly and look every object up inside it, so an id
from another organization is a NotFound exactly like a missing one. Nothing is deleted that work may
refer to: vendors, skills and technicians are deactivated instead; certifications and time off go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.conf import settings
from django.db import transaction

from rollout.audit import audit_created, audit_deleted, audit_record, audit_snapshot, audited_save
from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.geo import coordinate_in_range, coordinate_round, is_timezone
from rollout.models import Invitation, Membership, Organization, User
from rollout.services import invitation_create
from rollout.tenancy import Access, actor_user
from technicians.choices import WEEKDAYS
from technicians.errors import AlreadyJoined, SkillInactive, TimeOffOverlap, VendorInactive
from technicians.models import Certification, Skill, Technician, TimeOff, Vendor

Actor = Access | User | None

VENDOR_FIELDS = ["code", "name", "contact_name", "contact_email", "contact_phone", "insurance_expires_on", "notes"]
SKILL_FIELDS = ["slug", "name", "description", "requires_certification"]
SKILL_UPDATABLE = frozenset(SKILL_FIELDS) - {"slug"}
TECHNICIAN_FIELDS = [
    "email",
    "full_name",
    "phone",
    "vendor",
    "home_address",
    "home_latitude",
    "home_longitude",
    "service_radius_km",
    "working_days",
    "work_start",
    "work_end",
    "timezone",
]
CERTIFICATION_FIELDS = ["name", "skill", "issued_on", "expires_on", "reference"]
TIME_OFF_FIELDS = ["start_date", "end_date", "reason"]


def _lock(model, organization, pk: int, *, related: tuple[str, ...] = ()):
    row = (
        model.objects.for_organization(organization)
        .select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def _save_active(organization, actor: Actor, row, active: bool, *, entity: str) -> None:
    """Flip a locked row's `active` flag and audit it as `<entity>.deactivated` / `<entity>.reactivated`."""
    row.active = active
    row.save(update_fields=["active", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        verb=f"{entity}.reactivated" if active else f"{entity}.deactivated",
        target=row,
        before={"active": not active},
        after={"active": active},
    )


def _check_known(fields: Iterable[str], allowed: Iterable[str], what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown or read-only {what} fields: {sorted(unknown)}")


def _apply(instance, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)


# --- Value checks -----------------------------------------------------------------------------------


def _check_timezone(name: str) -> None:
    if not is_timezone(name):
        raise ApplicationError(
            f"“{name}” is not a time zone: use an IANA name such as America/Chicago.",
            field="timezone",
            code="invalid_timezone",
        )


def _clean_coordinates(values: dict[str, Any]) -> None:
    for name in ("home_latitude", "home_longitude"):
        if name in values and values[name] is not None:
            values[name] = coordinate_round(values[name])


def _check_coordinates(latitude, longitude) -> None:
    if (latitude is None) != (longitude is None):
        field = "home_longitude" if latitude is not None else "home_latitude"
        raise ApplicationError(
            "Give both latitude and longitude, or neither.", field=field, code="incomplete_coordinates"
        )
    if latitude is not None and not coordinate_in_range(latitude, "latitude"):
        raise ApplicationError(
            "Latitude must be between -90 and 90.", field="home_latitude", code="invalid_coordinates"
        )
    if longitude is not None and not coordinate_in_range(longitude, "longitude"):
        raise ApplicationError(
            "Longitude must be between -180 and 180.", field="home_longitude", code="invalid_coordinates"
        )


def _check_hours(start: time, end: time) -> None:
    if end <= start:
        raise ApplicationError(
            f"The working day must end after it starts ({start:%H:%M} – {end:%H:%M}).",
            field="work_end",
            code="invalid_hours",
        )


def clean_working_days(days: Iterable[str]) -> list[str]:
    """The given weekday codes, checked, without repeats, in week order (mon … sun)."""
    days = list(days or [])
    unknown = [day for day in days if day not in WEEKDAYS]
    if unknown:
        raise ApplicationError(
            f"“{unknown[0]}” is not a day: use mon, tue, wed, thu, fri, sat or sun.",
            field="working_days",
            code="invalid_weekday",
        )
    return [day for day in WEEKDAYS if day in days]


def _check_radius(value) -> None:
    if value is not None and not 1 <= int(value) <= 2000:
        raise ApplicationError(
            "The service radius must be between 1 and 2000 km.", field="service_radius_km", code="invalid_radius"
        )


def _check_dates(start: date | None, end: date | None, *, field: str, message: str) -> None:
    if start and end and end < start:
        raise ApplicationError(message, field=field, code="invalid_dates")


# --- Vendors ----------------------------------------------------------------------------------------


def _check_vendor_code_free(organization, code: str, *, exclude_pk: int | None = None) -> None:
    if Vendor.objects.for_organization(organization).filter(code=code).exclude(pk=exclude_pk).exists():
        raise ApplicationError(f"A vendor with code “{code}” already exists.", field="code", code="duplicate_code")


@transaction.atomic
def vendor_create(*, organization: Organization, actor: Actor, code: str, name: str, **fields: Any) -> Vendor:
    """Add a vendor (a third-party company) to the organization; its code is unique in the organization."""
    _check_known(fields, VENDOR_FIELDS, "vendor")
    _check_vendor_code_free(organization, code)
    vendor = Vendor.objects.create(organization=organization, code=code, name=name, **fields)
    audit_created(organization, actor, vendor, [*VENDOR_FIELDS, "active"], verb="vendor.created")
    return vendor


@transaction.atomic
def vendor_update(*, organization: Organization, actor: Actor, vendor_id: int, **changes: Any) -> Vendor:
    """Change a vendor's details (contacts, insurance expiry…). Its activity: see vendor_set_active."""
    vendor = _lock(Vendor, organization, vendor_id)
    _check_known(changes, VENDOR_FIELDS, "vendor")
    if "code" in changes:
        _check_vendor_code_free(organization, changes["code"], exclude_pk=vendor.pk)
    audited_save(organization, actor, vendor, changes, verb="vendor.updated")
    return vendor


@transaction.atomic
def vendor_set_active(*, organization: Organization, actor: Actor, vendor_id: int, active: bool) -> Vendor:
    """Deactivate (or reactivate) a vendor: while inactive, none of its technicians qualifies for work."""
    vendor = _lock(Vendor, organization, vendor_id)
    if vendor.active == active:
        return vendor
    _save_active(organization, actor, vendor, active, entity="vendor")
    return vendor


# --- Skills -----------------------------------------------------------------------------------------


@transaction.atomic
def skill_create(
    *,
    organization: Organization,
    actor: Actor,
    slug: str,
    name: str,
    description: str = "",
    requires_certification: bool = False,
) -> Skill:
    """Add a skill to the organization's catalogue. The slug is what SOW tasks name; it never changes."""
    if Skill.objects.for_organization(organization).filter(slug=slug).exists():
        raise ApplicationError(f"A skill with slug “{slug}” already exists.", field="slug", code="duplicate_slug")
    skill = Skill.objects.create(
        organization=organization,
        slug=slug,
        name=name,
        description=description,
        requires_certification=requires_certification,
    )
    audit_created(organization, actor, skill, [*SKILL_FIELDS, "active"], verb="skill.created")
    return skill


@transaction.atomic
def skill_update(*, organization: Organization, actor: Actor, skill_id: int, **changes: Any) -> Skill:
    """Change a skill's name, description or whether it requires certification (not its slug)."""
    skill = _lock(Skill, organization, skill_id)
    if "slug" in changes and changes["slug"] != skill.slug:
        raise ApplicationError(
            "A skill's slug cannot change: SOW tasks refer to it. Add a new skill instead.",
            field="slug",
            code="slug_immutable",
        )
    changes.pop("slug", None)
    _check_known(changes, SKILL_UPDATABLE, "skill")
    audited_save(organization, actor, skill, changes, verb="skill.updated")
    return skill


@transaction.atomic
def skill_set_active(*, organization: Organization, actor: Actor, skill_id: int, active: bool) -> Skill:
    """Retire (or bring back) a skill: it is no longer offered, but technicians who have it keep it."""
    skill = _lock(Skill, organization, skill_id)
    if skill.active == active:
        return skill
    _save_active(organization, actor, skill, active, entity="skill")
    return skill


# --- Technicians ------------------------------------------------------------------------------------


def _check_vendor(organization, vendor: Vendor | None, *, current: Vendor | None = None) -> None:
    """The vendor must be the organization's and active (unless the technician is already with it)."""
    if vendor is None:
        return
    stored = Vendor.objects.for_organization(organization).filter(pk=vendor.pk).first()
    if stored is None:
        raise NotFound()
    if not stored.active and (current is None or current.pk != stored.pk):
        raise VendorInactive(f"{stored.name} is inactive; reactivate it first.", field="vendor")


def _check_skills(organization, skills: Iterable[Skill], *, current: Iterable[Skill] = ()) -> list[Skill]:
    """The skills as stored now, all in the organization; a retired one only if the technician already has it."""
    wanted = list(dict.fromkeys(skill.pk for skill in skills))
    stored = Skill.objects.for_organization(organization).in_bulk(wanted)
    if len(stored) != len(wanted):
        raise NotFound()
    kept = {skill.pk for skill in current}
    for skill in stored.values():
        if not skill.active and skill.pk not in kept:
            raise SkillInactive(f"The skill “{skill.name}” is no longer offered.", field="skills")
    return [stored[pk] for pk in wanted]


def _check_email_free(organization, email: str, *, exclude_pk: int | None = None) -> None:
    clash = Technician.objects.for_organization(organization).filter(email__iexact=email).exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(
            f"A technician with e-mail {email} already exists.", field="email", code="duplicate_email"
        )


def _member_with_email(organization, email: str) -> User | None:
    membership = (
        Membership.objects.for_organization(organization)
        .active()
        .filter(user__email__iexact=email)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _user_has_profile(organization, user: User, *, exclude_pk: int | None = None) -> bool:
    return Technician.objects.for_organization(organization).filter(user=user).exclude(pk=exclude_pk).exists()


def _technician_snapshot(technician: Technician, fields: list[str]) -> dict:
    snapshot = audit_snapshot(technician, [name for name in fields if name != "skills"])
    if "skills" in fields:
        snapshot["skills"] = sorted(technician.skills.values_list("slug", flat=True))
    return snapshot


def _set_skills(organization, technician: Technician, skills: list[Skill]) -> None:
    technician.skills.set(skills, through_defaults={"organization": organization})


@transaction.atomic
def technician_create(
    *,
    organization: Organization,
    actor: Actor,
    email: str,
    full_name: str,
    skills: Iterable[Skill] = (),
    link_existing_member: bool = True,
    **fields: Any,
) -> Technician:
    """Create a technician's profile. If a member of the organization already has this e-mail, link them."""
    _check_known(fields, TECHNICIAN_FIELDS, "technician")
    email = email.strip().lower()
    _check_email_free(organization, email)
    _check_vendor(organization, fields.get("vendor"))
    skills = _check_skills(organization, skills)
    fields.setdefault("timezone", organization.timezone)
    _check_timezone(fields["timezone"])
    _clean_coordinates(fields)
    _check_coordinates(fields.get("home_latitude"), fields.get("home_longitude"))
    _check_radius(fields.get("service_radius_km"))
    if "working_days" in fields:
        fields["working_days"] = clean_working_days(fields["working_days"])
    technician = Technician(organization=organization, email=email, full_name=full_name, **fields)
    _check_hours(technician.work_start, technician.work_end)
    if link_existing_member:
        user = _member_with_email(organization, email)
        if user is not None and not _user_has_profile(organization, user):
            technician.user = user
    technician.save()
    _set_skills(organization, technician, skills)
    audit_record(
        organization=organization,
        actor=actor,
        verb="technician.created",
        target=technician,
        after=_technician_snapshot(technician, [*TECHNICIAN_FIELDS, "skills", "user", "active"]),
    )
    return technician


@transaction.atomic
def technician_update(
    *,
    organization: Organization,
    actor: Actor,
    technician_id: int,
    skills: Iterable[Skill] | None = None,
    **changes: Any,
) -> Technician:
    """Change a technician's profile; `skills`, when given, replaces their skills. Activity: technician_set_active."""
    technician = _lock(Technician, organization, technician_id, related=("vendor",))
    _check_known(changes, TECHNICIAN_FIELDS, "technician")
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
        if technician.user_id and changes["email"] != technician.email:
            raise ApplicationError(
                "This technician has joined with their e-mail; it can no longer change here.",
                field="email",
                code="email_immutable",
            )
        _check_email_free(organization, changes["email"], exclude_pk=technician.pk)
    if "vendor" in changes:
        _check_vendor(organization, changes["vendor"], current=technician.vendor)
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    if "working_days" in changes:
        changes["working_days"] = clean_working_days(changes["working_days"])
    _check_radius(changes.get("service_radius_km"))
    _clean_coordinates(changes)
    _check_coordinates(
        changes.get("home_latitude", technician.home_latitude), changes.get("home_longitude", technician.home_longitude)
    )
    _check_hours(changes.get("work_start", technician.work_start), changes.get("work_end", technician.work_end))
    fields = sorted(changes)
    if skills is not None:
        skills = _check_skills(organization, skills, current=technician.skills.all())
        fields.append("skills")
    before = _technician_snapshot(technician, fields)
    _apply(technician, changes)
    technician.save()
    if skills is not None:
        _set_skills(organization, technician, skills)
    after = _technician_snapshot(technician, fields)
    if before != after:
        audit_record(
            organization=organization,
            actor=actor,
            verb="technician.updated",
            target=technician,
            before=before,
            after=after,
        )
    return technician


@transaction.atomic
def technician_set_active(*, organization: Organization, actor: Actor, technician_id: int, active: bool) -> Technician:
    """Deactivate (or reactivate) a technician: while inactive they qualify for no work."""
    technician = _lock(Technician, organization, technician_id)
    if technician.active == active:
        return technician
    _save_active(organization, actor, technician, active, entity="technician")
    return technician


@dataclass(frozen=True)
class TechnicianInvitation:
    """A technician's profile and their invitation; the link is returned once (only its hash is stored)."""

    organization: Organization
    technician: Technician
    invitation: Invitation
    token: str

    @property
    def accept_url(self) -> str:
        return f"{settings.TUTTI_BASE_URL}/invitations/{self.token}/"

    @property
    def text_message(self) -> str:
        """A short text for an SMS or a chat message, with the link."""
        first_name = self.technician.full_name.split()[0] if self.technician.full_name.strip() else ""
        greeting = f"Hi {first_name}," if first_name else "Hi,"
        return (
            f"{greeting} {self.organization.name} invites you to Tutti for your field visits. "
            f"Set your password here: {self.accept_url}"
        )


@transaction.atomic
def technician_invite(
    *, organization: Organization, actor: Actor, email: str, full_name: str = "", **fields: Any
) -> TechnicianInvitation:
    """Create the technician's profile (or reuse their unlinked one) and invite them with the technician role.

    The invitation e-mail goes out after commit (rollout.services.invitation_create); the returned link
    can also be sent by text. When they accept, technicians.receivers links their user to the profile.
    Re-inviting an e-mail replaces its pending invitation; a profile that has joined is refused.
    """
    email = email.strip().lower()
    technician = (
        Technician.objects.for_organization(organization).select_for_update().filter(email__iexact=email).first()
    )
    if technician is not None and technician.user_id is not None:
        raise AlreadyJoined(f"{technician.full_name} has already joined {organization.name}.", field="email")
    if technician is None:
        if not full_name.strip():
            raise ApplicationError("Give the technician's full name.", field="full_name", code="required")
        technician = technician_create(
            organization=organization,
            actor=actor,
            email=email,
            full_name=full_name.strip(),
            link_existing_member=False,
            **fields,
        )
    issued = invitation_create(organization=organization, actor=actor, email=email, role=Role.TECHNICIAN)
    audit_record(
        organization=organization,
        actor=actor,
        verb="technician.invited",
        target=technician,
        after={"email": email, "invitation": issued.invitation.pk},
    )
    return TechnicianInvitation(
        organization=organization, technician=technician, invitation=issued.invitation, token=issued.token
    )


@transaction.atomic
def technician_link_user(*, organization: Organization, user: User) -> Technician | None:
    """Link `user` to the unlinked profile with their e-mail in the organization. Idempotent; None if none."""
    if _user_has_profile(organization, user):
        return Technician.objects.for_organization(organization).filter(user=user).first()
    technician = (
        Technician.objects.for_organization(organization)
        .select_for_update()
        .filter(email__iexact=user.email, user__isnull=True)
        .first()
    )
    if technician is None:
        return None
    technician.user = user
    if user.full_name and not technician.full_name:
        technician.full_name = user.full_name
    technician.save(update_fields=["user", "full_name", "updated_at"])
    audit_record(
        organization=organization,
        actor=user,
        verb="technician.linked",
        target=technician,
        before={"user": None},
        after={"user": user.pk},
    )
    return technician


# --- Certifications ---------------------------------------------------------------------------------


def _check_certification(organization, values: dict[str, Any]) -> None:
    skill = values.get("skill")
    if skill is not None and skill.organization_id != organization.pk:
        raise NotFound()
    _check_dates(
        values.get("issued_on"),
        values.get("expires_on"),
        field="expires_on",
        message="A certification cannot expire before it is issued.",
    )


@transaction.atomic
def certification_create(
    *, organization: Organization, actor: Actor, technician_id: int, name: str, **fields: Any
) -> Certification:
    """Record a certification a technician holds (optionally for one skill, with its validity dates)."""
    technician = _lock(Technician, organization, technician_id)
    _check_known(fields, CERTIFICATION_FIELDS, "certification")
    _check_certification(organization, fields)
    certification = Certification.objects.create(organization=organization, technician=technician, name=name, **fields)
    audit_created(
        organization, actor, certification, ["technician", *CERTIFICATION_FIELDS], verb="certification.created"
    )
    return certification


@transaction.atomic
def certification_update(
    *, organization: Organization, actor: Actor, certification_id: int, **changes: Any
) -> Certification:
    """Change a certification (e.g. a renewal's new expiry date)."""
    certification = _lock(Certification, organization, certification_id)
    _check_known(changes, CERTIFICATION_FIELDS, "certification")
    _check_certification(
        organization,
        {
            "skill": changes.get("skill"),
            "issued_on": changes.get("issued_on", certification.issued_on),
            "expires_on": changes.get("expires_on", certification.expires_on),
        },
    )
    audited_save(organization, actor, certification, changes, verb="certification.updated")
    return certification


@transaction.atomic
def certification_delete(*, organization: Organization, actor: Actor, certification_id: int) -> None:
    """Remove a certification recorded by mistake (an expired one can simply stay: it no longer counts)."""
    certification = _lock(Certification, organization, certification_id)
    audit_deleted(
        organization, actor, certification, ["technician", *CERTIFICATION_FIELDS], verb="certification.deleted"
    )
    certification.delete()


# --- Time off ---------------------------------------------------------------------------------------


def _check_own_profile(actor: Actor, technician: Technician) -> None:
    """A technician-role caller may act on their own profile only; anyone else's reads as missing."""
    is_technician = isinstance(actor, Access) and actor.role == Role.TECHNICIAN
    if is_technician and (actor.user is None or technician.user_id != actor.user.pk):
        raise NotFound()


def _check_time_off(organization, technician: Technician, start: date, end: date, *, exclude_pk=None) -> None:
    _check_dates(start, end, field="end_date", message="Time off must end on or after the day it starts.")
    overlap = (
        TimeOff.objects.for_organization(organization)
        .filter(technician=technician, start_date__lte=end, end_date__gte=start)
        .exclude(pk=exclude_pk)
        .order_by("start_date")
        .first()
    )
    if overlap is not None:
        raise TimeOffOverlap(
            f"This overlaps time off already recorded from {overlap.start_date:%b %-d} to "
            f"{overlap.end_date:%b %-d, %Y}.",
            field="start_date",
        )


@transaction.atomic
def time_off_create(
    *,
    organization: Organization,
    actor: Actor,
    technician_id: int,
    start_date: date,
    end_date: date,
    reason: str = "",
) -> TimeOff:
    """Record days a technician is unavailable. Technicians may record their own; overlaps are refused."""
    technician = _lock(Technician, organization, technician_id)
    _check_own_profile(actor, technician)
    _check_time_off(organization, technician, start_date, end_date)
    time_off = TimeOff.objects.create(
        organization=organization,
        technician=technician,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        created_by=actor_user(actor),
    )
    audit_created(organization, actor, time_off, ["technician", *TIME_OFF_FIELDS], verb="time_off.created")
    return time_off


@transaction.atomic
def time_off_update(*, organization: Organization, actor: Actor, time_off_id: int, **changes: Any) -> TimeOff:
    """Change the dates or reason of a time off."""
    time_off = _lock(TimeOff, organization, time_off_id, related=("technician",))
    _check_own_profile(actor, time_off.technician)
    _check_known(changes, TIME_OFF_FIELDS, "time off")
    start, end = changes.get("start_date", time_off.start_date), changes.get("end_date", time_off.end_date)
    _check_time_off(organization, time_off.technician, start, end, exclude_pk=time_off.pk)
    audited_save(organization, actor, time_off, changes, verb="time_off.updated")
    return time_off


@transaction.atomic
def time_off_delete(*, organization: Organization, actor: Actor, time_off_id: int) -> None:
    """Cancel a time off: the technician is available on those days again."""
    time_off = _lock(TimeOff, organization, time_off_id, related=("technician",))
    _check_own_profile(actor, time_off.technician)
    audit_deleted(organization, actor, time_off, ["technician", *TIME_OFF_FIELDS], verb="time_off.deleted")
    time_off.delete()
