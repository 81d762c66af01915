"""Choices of the quality app, shared by models, filters, forms and serializers."""

from django.db import models


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class RootCause(models.TextChoices):
    """The fixed taxonomy of why a defect happened (the Pareto on the Quality home counts these)."""

    PACKET_UNCLEAR = "packet_unclear", "Packet unclear"
    VARIATION_MISSED = "variation_missed", "Variation missed"
    SKILL = "skill", "Skill"
    MATERIALS = "materials", "Materials"
    ACCESS = "access", "Access"
    CLIENT_CHANGE = "client_change", "Client change"
    TECHNICIAN_ERROR = "technician_error", "Technician error"
    OTHER = "other", "Other"


class ReviewDecision(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class DrftStatus(models.TextChoices):
    """A work order's standing for Done Right First Time.

    open: not accepted yet (it may already have failed: see the reason); provisional: accepted, warranty window
    still open; final: closed; excluded: a PM classified its return or incomplete visit as caused by the client or
    by the site not being ready (counted in neither part)."""

    OPEN = "open", "Open"
    PROVISIONAL = "provisional", "Provisional"
    FINAL = "final", "Final"
    EXCLUDED = "excluded", "Excluded"


class DrftReason(models.TextChoices):
    """The first reason a work order is not DRFT."""

    FIRST_VISIT_INCOMPLETE = "first_visit_incomplete", "First visit incomplete"
    QA_REJECTED = "qa_rejected", "QA rejected"
    WARRANTY_RETURN = "warranty_return", "Warranty return"


class ExclusionCause(models.TextChoices):
    CLIENT = "client", "Caused by the client"
    SITE_NOT_READY = "site_not_ready", "Site not ready"


class Dimension(models.TextChoices):
    """What a DRFT snapshot row groups by."""

    PROGRAM = "program", "Program"
    WAVE = "wave", "Wave"
    REGION = "region", "Region"
    VENDOR = "vendor", "Vendor"
    TECHNICIAN = "technician", "Technician"


class SamplingMode(models.TextChoices):
    """Which submitted work a program's QA reviews (quality.sampling)."""

    ALL = "all", "Review every work order"
    SAMPLE = "sample", "Review a sample"
