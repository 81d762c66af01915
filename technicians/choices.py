"""Choices of the technicians app, shared by models, filters, forms and serializers."""

from django.db import models


class Weekday(models.TextChoices):
    MON = "mon", "Monday"
    TUE = "tue", "Tuesday"
    WED = "wed", "Wednesday"
    THU = "thu", "Thursday"
    FRI = "fri", "Friday"
    SAT = "sat", "Saturday"
    SUN = "sun", "Sunday"


# In date.weekday() order (Monday = 0), so `WEEKDAYS[day.weekday()]` names a date's day.
WEEKDAYS: tuple[str, ...] = tuple(Weekday.values)
DEFAULT_WORKING_DAYS = ["mon", "tue", "wed", "thu", "fri"]

# A certification or an insurance that ends within this many days is "expiring" (amber on the pages).
EXPIRING_WITHIN_DAYS = 30


class ExpiryState(models.TextChoices):
    """Where a dated credential (certification, vendor insurance) stands on a given day."""

    VALID = "valid", "Valid"
    EXPIRING = "expiring", "Expiring soon"
    EXPIRED = "expired", "Expired"
    NO_EXPIRY = "no_expiry", "Does not expire"
    MISSING = "missing", "Not on file"


# The states each credential can be in: insurance may be missing; a certification may have no expiry.
INSURANCE_STATE_CHOICES = [(state.value, state.label) for state in ExpiryState if state != ExpiryState.NO_EXPIRY]
CERTIFICATION_STATE_CHOICES = [(state.value, state.label) for state in ExpiryState if state != ExpiryState.MISSING]


class EligibilityProblemCode(models.TextChoices):
    """Why a technician may not take a piece of work: stable codes for the API, words for people."""

    INACTIVE = "inactive", "Technician inactive"
    VENDOR_INACTIVE = "vendor_inactive", "Vendor inactive"
    INSURANCE_MISSING = "insurance_missing", "Vendor insurance not on file"
    INSURANCE_EXPIRED = "insurance_expired", "Vendor insurance expired"
    MISSING_SKILL = "missing_skill", "Missing skill"
    CERTIFICATION_MISSING = "certification_missing", "Certification missing"
    CERTIFICATION_EXPIRED = "certification_expired", "Certification expired"
    CERTIFICATION_NOT_YET_VALID = "certification_not_yet_valid", "Certification not yet valid"
    NOT_A_WORKING_DAY = "not_a_working_day", "Not a working day"
    OUTSIDE_WORKING_HOURS = "outside_working_hours", "Outside working hours"
    TIME_OFF = "time_off", "On time off"
    NO_HOME_BASE = "no_home_base", "Home base unknown"
    OUTSIDE_RADIUS = "outside_radius", "Outside service radius"
