"""Choices of the technicians app, shared by models, filters, forms and serializers."""

from django.db import models

from rollout.choices import Role


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
    TRAINING_MISSING = "training_missing", "Required training missing"
    TRAINING_EXPIRED = "training_expired", "Required training expired"
    TRAINING_NOT_YET_VALID = "training_not_yet_valid", "Required training not yet completed"


# The roles a course is for and a program may require training of: the office's PMs and coordinators
# (held on their membership) and field technicians (held on their technician profile).
TRAINING_ROLES: tuple[str, ...] = (Role.PM, Role.COORDINATOR, Role.TECHNICIAN)
TRAINING_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in TRAINING_ROLES]
# Staff roles whose members hold their training records on their membership (technicians: on their profile).
MEMBER_TRAINING_ROLES = frozenset({Role.PM, Role.COORDINATOR})


class TrainingState(models.TextChoices):
    """Where one person stands for one course on a given day (a cell of the training matrix)."""

    VALID = "valid", "Valid"
    EXPIRING = "expiring", "Expiring soon"
    EXPIRED = "expired", "Expired"
    NOT_YET_VALID = "not_yet_valid", "Not yet valid"
    MISSING = "missing", "Not done"
    NOT_FOR_ROLE = "not_for_role", "Not for this role"
