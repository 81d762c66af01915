"""Choices of the programs app, shared by models, filters, forms and serializers."""

from django.db import models


class ProgramStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    PILOT = "pilot", "Pilot"
    ACTIVE = "active", "Active"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"


# The only moves a program's status may make. A pilot may go back to planning (the pilot showed the
# plan was wrong) and a closing program may reopen (work turned up late); closed is final.
PROGRAM_TRANSITIONS: dict[str, frozenset[str]] = {
    ProgramStatus.PLANNING: frozenset({ProgramStatus.PILOT, ProgramStatus.ACTIVE}),
    ProgramStatus.PILOT: frozenset({ProgramStatus.PLANNING, ProgramStatus.ACTIVE}),
    ProgramStatus.ACTIVE: frozenset({ProgramStatus.CLOSING}),
    ProgramStatus.CLOSING: frozenset({ProgramStatus.ACTIVE, ProgramStatus.CLOSED}),
    ProgramStatus.CLOSED: frozenset(),
}


class SowStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


class EvidenceKind(models.TextChoices):
    NONE = "none", "None"
    PHOTO = "photo", "Photo"
    SERIAL = "serial", "Serial number"
    MEASUREMENT = "measurement", "Measurement"
    SIGNATURE = "signature", "Signature"


# Which evidence parameters belong to which kind; the others are cleared when a task is saved.
EVIDENCE_PARAMETERS: dict[str, tuple[str, ...]] = {
    EvidenceKind.NONE: (),
    EvidenceKind.PHOTO: ("photo_min_count",),
    EvidenceKind.SERIAL: ("serial_pattern",),
    EvidenceKind.MEASUREMENT: ("measurement_unit", "measurement_min", "measurement_max"),
    EvidenceKind.SIGNATURE: (),
}
ALL_EVIDENCE_PARAMETERS = (
    "photo_min_count",
    "serial_pattern",
    "measurement_unit",
    "measurement_min",
    "measurement_max",
)
