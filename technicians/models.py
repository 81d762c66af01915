"""Vendors, the skills catalogue, technicians with their certifications and time off, and the training path
(courses and the training records people hold).

Every model is tenant-owned. Staff and integrators see every row of their organization; a
technician sees only their own profile (the one linked to their user) and what hangs off it
(certifications, time off); client viewers see none of it.
"""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from rollout.choices import Role
from rollout.storage import private_storage
from rollout.tenancy import TenantModel, TenantQuerySet
from technicians.choices import (
    DEFAULT_WORKING_DAYS,
    EXPIRING_WITHIN_DAYS,
    WEEKDAYS,
    ExpiryState,
    TrainingState,
)


def default_working_days() -> list[str]:
    return list(DEFAULT_WORKING_DAYS)


def expiry_state(expires_on: date | None, *, on: date, missing_means: str = ExpiryState.NO_EXPIRY) -> str:
    """Valid, expiring (within EXPIRING_WITHIN_DAYS), expired, or `missing_means` when there is no date."""
    if expires_on is None:
        return missing_means
    if expires_on < on:
        return ExpiryState.EXPIRED
    if expires_on <= on + timedelta(days=EXPIRING_WITHIN_DAYS):
        return ExpiryState.EXPIRING
    return ExpiryState.VALID


class TechnicianOwnedQuerySet(TenantQuerySet):
    """Rows that belong to one technician: a technician-role caller sees only their own."""

    technician_user_path = "technician__user_id"

    def visible_to(self, access):
        if access.role == Role.TECHNICIAN:
            scoped = self.for_organization(access.organization)
            if access.user is None:
                return scoped.none()
            return scoped.filter(**{self.technician_user_path: access.user.pk})
        return super().visible_to(access)


class VendorQuerySet(TenantQuerySet):
    def active(self) -> VendorQuerySet:
        return self.filter(active=True)

    def with_counts(self) -> VendorQuerySet:
        """How many (active) technicians each vendor has, in the same query (for lists)."""
        return self.annotate(
            technician_count=models.Count("technicians", distinct=True),
            active_technician_count=models.Count("technicians", filter=Q(technicians__active=True), distinct=True),
        )


class Vendor(TenantModel):
    """A third-party company whose technicians work for the organization; its insurance gates their work."""

    code = models.SlugField(max_length=40, help_text="Short code, unique in the organization (e.g. lakeshore).")
    name = models.CharField(max_length=160)
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    insurance_expires_on = models.DateField(
        null=True, blank=True, help_text="Liability insurance end date; after it, its technicians cannot be assigned."
    )
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VendorQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="vendor_code_unique_per_org"),
        ]
        indexes = [models.Index(fields=["organization", "active"])]

    def __str__(self) -> str:
        return self.name

    def insurance_state(self, on: date) -> str:
        return expiry_state(self.insurance_expires_on, on=on, missing_means=ExpiryState.MISSING)


class SkillQuerySet(TenantQuerySet):
    def active(self) -> SkillQuerySet:
        return self.filter(active=True)

    def with_counts(self) -> SkillQuerySet:
        return self.annotate(technician_count=models.Count("technicians", distinct=True))


class Skill(TenantModel):
    """One entry of the organization's skills catalogue. Its slug is what SOW tasks name as required skill."""

    slug = models.SlugField(
        max_length=60, help_text="Stable identifier used by SOW tasks (required skill), e.g. pos-install."
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    requires_certification = models.BooleanField(
        default=False, help_text="Work needing this skill goes only to technicians with a valid certification for it."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="skill_slug_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class TechnicianQuerySet(TenantQuerySet):
    def visible_to(self, access):
        """Staff and integrators: every technician; a technician: their own profile; anyone else: none."""
        if access.role == Role.TECHNICIAN:
            scoped = self.for_organization(access.organization)
            return scoped.filter(user_id=access.user.pk) if access.user else scoped.none()
        return super().visible_to(access)

    def active(self) -> TechnicianQuerySet:
        return self.filter(active=True)

    def with_summary(self, *, on: date) -> TechnicianQuerySet:
        """Vendor, account and skills, and the count of expired / expiring certifications on `on` (for lists)."""
        soon = on + timedelta(days=EXPIRING_WITHIN_DAYS)
        return (
            self.select_related("vendor", "user")
            .prefetch_related("skills")
            .annotate(
                expired_certification_count=models.Count(
                    "certifications", filter=Q(certifications__expires_on__lt=on), distinct=True
                ),
                expiring_certification_count=models.Count(
                    "certifications",
                    filter=Q(certifications__expires_on__gte=on, certifications__expires_on__lte=soon),
                    distinct=True,
                ),
            )
        )


class Technician(TenantModel):
    """A person who performs field visits: in-house (no vendor) or from a vendor.

    The profile exists before the person has an account: `user` is linked when they accept their
    invitation (see technicians.receivers). Working days and hours are in the technician's own time zone.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="technician_profiles",
        help_text="Set when the technician accepts their invitation.",
    )
    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=40, blank=True)
    vendor = models.ForeignKey(
        Vendor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="technicians",
        help_text="Blank for an in-house technician.",
    )
    skills = models.ManyToManyField(Skill, through="TechnicianSkill", related_name="technicians", blank=True)
    home_address = models.CharField(max_length=255, blank=True)
    home_latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    home_longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    service_radius_km = models.PositiveIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(2000)], help_text="How far from home they go."
    )
    working_days = models.JSONField(
        default=default_working_days, blank=True, help_text='Weekdays worked, e.g. ["mon", "tue"].'
    )
    work_start = models.TimeField(default=time(8, 0), help_text="Start of the working day, local time.")
    work_end = models.TimeField(default=time(17, 0), help_text="End of the working day, local time.")
    timezone = models.CharField(max_length=64, help_text="IANA time zone, such as America/Chicago.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TechnicianQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="technician_email_unique_per_org"),
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(user__isnull=False),
                name="technician_one_profile_per_user_per_org",
            ),
            models.CheckConstraint(
                condition=Q(home_latitude__isnull=True, home_longitude__isnull=True)
                | Q(home_latitude__gte=-90, home_latitude__lte=90, home_longitude__gte=-180, home_longitude__lte=180),
                name="technician_home_coordinates_in_range",
            ),
            models.CheckConstraint(condition=Q(work_end__gt=models.F("work_start")), name="technician_work_hours"),
        ]
        indexes = [
            models.Index(fields=["organization", "active"]),
            models.Index(fields=["organization", "vendor"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def has_home_base(self) -> bool:
        return self.home_latitude is not None and self.home_longitude is not None

    @property
    def working_days_ordered(self) -> list[str]:
        return [day for day in WEEKDAYS if day in (self.working_days or [])]


class TechnicianSkill(TenantModel):
    """A skill a technician has (the through table, tenant-owned so row-level security covers it too)."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="skill_links")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="technician_links")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TechnicianOwnedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "technician", "skill"], name="technician_skill_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.technician_id}:{self.skill_id}"


class Certification(TenantModel):
    """A certificate a technician holds, optionally for one skill; it counts only between issue and expiry."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="certifications")
    name = models.CharField(max_length=160, help_text="e.g. BICSI Installer 2, OSHA 10.")
    skill = models.ForeignKey(
        Skill,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certifications",
        help_text="The skill it certifies, when the skill requires certification.",
    )
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, help_text="Blank: does not expire.")
    reference = models.CharField(max_length=120, blank=True, help_text="Certificate number or issuer reference.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TechnicianOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["technician_id", "expires_on", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="certification_dates",
            ),
        ]
        indexes = [models.Index(fields=["organization", "expires_on"])]

    def __str__(self) -> str:
        return self.name

    def state(self, on: date) -> str:
        return expiry_state(self.expires_on, on=on)

    def is_valid_on(self, day: date) -> bool:
        return (self.issued_on is None or self.issued_on <= day) and (self.expires_on is None or self.expires_on >= day)


class TimeOff(TenantModel):
    """Days (inclusive) a technician is not available: holiday, training, sick leave."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TechnicianOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "time off"
        verbose_name_plural = "time off"
        ordering = ["technician_id", "start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="time_off_dates"),
        ]
        indexes = [models.Index(fields=["organization", "technician", "start_date"])]

    def __str__(self) -> str:
        return f"{self.start_date} – {self.end_date}"

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


# --- Training path ----------------------------------------------------------------------------------


class CourseQuerySet(TenantQuerySet):
    def active(self) -> CourseQuerySet:
        return self.filter(active=True)

    def with_counts(self) -> CourseQuerySet:
        """How many training records each course has, in the same query (for lists)."""
        return self.annotate(record_count=models.Count("records", distinct=True))


class Course(TenantModel):
    """A course of the organization's training path: for which roles, and for how long a completion counts."""

    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    roles = models.JSONField(
        default=list, blank=True, help_text='The roles the course is for, e.g. ["pm", "technician"].'
    )
    validity_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="How long a completion counts; blank: it does not expire.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="course_name_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_for(self, role: str) -> bool:
        return role in (self.roles or [])


def training_certificate_upload_to(instance: TrainingRecord, filename: str) -> str:
    # A random name: nothing about the path can be guessed, and no URL serves it anyway.
    suffix = PurePosixPath(filename).suffix.lower()
    return f"training-certificates/{instance.organization_id}/{uuid.uuid4().hex}{suffix}"


class TrainingRecordQuerySet(TechnicianOwnedQuerySet):
    """Staff and integrators read every record; a technician reads the records on their own profile."""

    def valid_on(self, day: date) -> TrainingRecordQuerySet:
        return self.filter(completed_on__lte=day).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))


class TrainingRecord(TenantModel):
    """One person's completion of one course: when, until when it counts, and the certificate (a private file).

    The person is a technician (their profile: it exists before they have an account) or a PM or coordinator
    (their membership of the organization) — exactly one of the two.
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="records")
    technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.CASCADE, related_name="training_records"
    )
    member = models.ForeignKey(
        "rollout.Membership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="training_records",
        help_text="A PM or coordinator of the organization (technicians hold records on their profile).",
    )
    completed_on = models.DateField()
    expires_on = models.DateField(
        null=True, blank=True, help_text="Completion + the course's validity, unless given; blank: does not expire."
    )
    certificate = models.FileField(
        upload_to=training_certificate_upload_to, storage=private_storage, max_length=255, blank=True
    )
    certificate_name = models.CharField(max_length=200, blank=True, help_text="The uploaded file's name.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        ordering = ["course_id", "-completed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(technician__isnull=False, member__isnull=True)
                | Q(technician__isnull=True, member__isnull=False),
                name="training_record_one_person",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("completed_on")),
                name="training_record_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "expires_on"]),
            models.Index(fields=["organization", "technician", "course"]),
            models.Index(fields=["organization", "member", "course"]),
        ]

    def __str__(self) -> str:
        return f"{self.course_id}:{self.completed_on}"

    @property
    def person_name(self) -> str:
        if self.technician_id:
            return self.technician.full_name
        return self.member.user.full_name or self.member.user.email

    def state(self, on: date) -> str:
        """Valid, expiring (within EXPIRING_WITHIN_DAYS), expired, or not yet valid (completed after `on`)."""
        if self.completed_on > on:
            return TrainingState.NOT_YET_VALID
        state = expiry_state(self.expires_on, on=on)
        return TrainingState.VALID if state == ExpiryState.NO_EXPIRY else TrainingState(state)

    def is_valid_on(self, day: date) -> bool:
        return self.completed_on <= day and (self.expires_on is None or self.expires_on >= day)
