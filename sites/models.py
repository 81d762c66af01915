"""Sites (client locations), their contacts, and bulk site imports. All rows are tenant-owned."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from rollout.choices import Role
from rollout.storage import private_storage  # migrations name it sites.models.private_storage
from rollout.tenancy import TenantModel, TenantQuerySet
from sites.choices import ImportFormat, ImportStatus, SiteStatus

# The fields of a site that people write (besides the client, and the status, which has its own verbs), in the
# order every interface lists them: the services' whitelist and audit, the API's serializers, the export's
# columns (the importer writes these and the status). One list, here beside the model.
SITE_FIELDS = (
    "code",
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "timezone",
    "access_hours",
    "blackout_dates",
    "attributes",
)
# The fields of a site contact that people write (besides its site).
CONTACT_FIELDS = ("name", "role", "phone", "email", "is_primary")


class SiteQuerySet(TenantQuerySet):
    def visible_to(self, access):
        """Staff and integrators see every site of the organization; a client viewer only their client's."""
        if access.role == Role.CLIENT:
            scoped = self.for_organization(access.organization)
            return scoped.filter(client_id=access.client_id) if access.client_id else scoped.none()
        return super().visible_to(access)

    def active(self):
        return self.filter(status=SiteStatus.ACTIVE)


class Site(TenantModel):
    """A client location that receives rollout work. Its code is unique per (organization, client).

    Time zone is required (derived from the coordinates when not given); access hours are local-time
    windows per weekday; attributes are typed free-form values (see sites.values for every format).
    """

    client = models.ForeignKey("rollout.Client", on_delete=models.PROTECT, related_name="sites")
    code = models.CharField(max_length=64, help_text="The client's own site code (store number).")
    name = models.CharField(max_length=200)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True, help_text="State, province or region.")
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 two-letter code.")
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    timezone = models.CharField(max_length=64, help_text="IANA time zone, such as America/Chicago.")
    access_hours = models.JSONField(
        default=dict, blank=True, help_text='Local-time windows per weekday: {"mon": ["06:00-22:00"], …}.'
    )
    blackout_dates = models.JSONField(default=list, blank=True, help_text="ISO dates when no work may happen.")
    attributes = models.JSONField(default=dict, blank=True, help_text="Typed values: text, numbers, true/false.")
    status = models.CharField(max_length=10, choices=SiteStatus.choices, default=SiteStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "client", "code"], name="site_code_unique_per_client"),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="site_coordinates_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "code"]),
            models.Index(fields=["organization", "status", "state"]),
            models.Index(fields=["organization", "city"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class SiteContactQuerySet(TenantQuerySet):
    def visible_to(self, access):
        """Contacts follow their site's visibility."""
        if access.role == Role.CLIENT:
            scoped = self.for_organization(access.organization)
            return scoped.filter(site__client_id=access.client_id) if access.client_id else scoped.none()
        return super().visible_to(access)


class SiteContact(TenantModel):
    """A person to call about a site (store manager, IT lead…); at most one primary contact per site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=80, blank=True, help_text="Their job at the site, such as Store manager.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteContactQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"], condition=models.Q(is_primary=True), name="site_contact_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


def site_import_upload_to(instance: SiteImport, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    return f"site-imports/{instance.organization_id}/{uuid.uuid4().hex}{suffix}"


class SiteImport(TenantModel):
    """One uploaded site file: dry run (every problem by row and column), then an all-or-nothing commit.

    uploaded → validating → validated → committing → committed; any step may end in failed. Counts are
    what the commit would do after a dry run, and what it did after the commit.
    """

    Status = ImportStatus

    client = models.ForeignKey("rollout.Client", on_delete=models.PROTECT, related_name="site_imports")
    file = models.FileField(upload_to=site_import_upload_to, storage=private_storage, max_length=255)
    original_filename = models.CharField(max_length=255)
    format = models.CharField(max_length=4, choices=ImportFormat.choices)
    file_size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    attribute_schema = models.JSONField(
        null=True, blank=True, help_text="Expected attributes (sites.attributes.AttributeSchema), if any."
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}], in file order.")
    failure_message = models.TextField(blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    commit_requested_at = models.DateTimeField(null=True, blank=True)
    commit_job = models.OneToOneField(
        "rollout.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="site_import_commit",
        help_text="The durable job that writes the commit (rollout.jobs).",
    )
    committed_at = models.DateTimeField(null=True, blank=True)
    validation_job = models.OneToOneField(
        "rollout.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="site_import_validation",
        help_text="The durable job of the dry run, which checks the file in chunks (sites.import_jobs).",
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.COMMITTING)

    @property
    def can_commit(self) -> bool:
        return self.status == ImportStatus.VALIDATED and self.error_count == 0

    @property
    def progress_percent(self) -> int:
        if self.status in (ImportStatus.VALIDATED, ImportStatus.COMMITTED):
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(self.rows_done * 100 / self.rows_total))

    @property
    def rows_to_write(self) -> int:
        return self.created_count + self.updated_count
