"""Choices of the scheduling app, shared by models, filters and serializers."""

from django.db import models

from rollout.choices import FULL_READ_ROLES, STAFF_ROLES

# Who reads schedule runs (integrators included) and who starts, cancels and publishes them.
RUN_READ_ROLES = FULL_READ_ROLES
RUN_WRITE_ROLES = STAFF_ROLES


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class UnscheduledReason(models.TextChoices):
    """Why a work order was left out of the proposal, as a stable code."""

    NO_COORDINATES = "no_coordinates", "The site has no coordinates, so no route can reach it."
    NO_TECHNICIAN = "no_technician", "No qualified technician within reach (skills, certifications, radius)."
    BLACKOUT = "blackout", "Blackout dates (or closed days) cover every day of the date range."
    ACCESS_TOO_SHORT = "access_too_short", "The site's access hours are shorter than the work."
    NO_WORKING_DAY = "no_working_day", "No qualified technician works on a day the site is open."
    MATERIALS_LATE = "materials_late", "The materials are expected after the date range."
    CAPACITY = "capacity", "Capacity exhausted: the qualified technicians' days are full."


class PublishOutcome(models.TextChoices):
    PENDING = "", "Not published"
    BOOKED = "booked", "Booked"
    REFUSED = "refused", "Refused"
