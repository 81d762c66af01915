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

# The fields of a SOW's task and material lines that planners write, in the order every interface lists them: the
# services' whitelist and audit, the API's serializers, the task form, and (without key and position, which
# identify a line) the diff between versions.
LINE_IDENTITY_FIELDS = ["key", "position"]
TASK_FIELDS = [
    *LINE_IDENTITY_FIELDS,
    "title",
    "instructions",
    "required_skill",
    "estimated_minutes",
    "evidence_kind",
    *ALL_EVIDENCE_PARAMETERS,
    "condition",
]
MATERIAL_FIELDS = [*LINE_IDENTITY_FIELDS, "part_number", "description", "quantity", "unit", "condition"]
TASK_CONTENT_FIELDS = [name for name in TASK_FIELDS if name not in LINE_IDENTITY_FIELDS]
MATERIAL_CONTENT_FIELDS = [name for name in MATERIAL_FIELDS if name not in LINE_IDENTITY_FIELDS]


class AttributeType(models.TextChoices):
    """Types a program may declare for a site attribute; `choice` is text limited to its allowed values."""

    STR = "str", "Text"
    INT = "int", "Whole number"
    FLOAT = "float", "Number"
    BOOL = "bool", "Yes/no"
    CHOICE = "choice", "Choice"


class VariationKind(models.TextChoices):
    ADD_TASK = "add_task", "Add a task"
    SKIP_TASK = "skip_task", "Skip a task"
    MODIFY_TASK = "modify_task", "Change a task"
    EXTRA_MATERIAL = "extra_material", "Extra material"
    ACCESS_NOTE = "access_note", "Access note"


class VariationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# Which payload fields belong to which kind of variation; the others are cleared when it is saved.
ADD_TASK_FIELDS = (
    "task_key",
    "after_task_key",
    "title",
    "instructions",
    "required_skill",
    "estimated_minutes",
    "evidence_kind",
    *ALL_EVIDENCE_PARAMETERS,
)
VARIATION_FIELDS: dict[str, tuple[str, ...]] = {
    VariationKind.ADD_TASK: ADD_TASK_FIELDS,
    VariationKind.SKIP_TASK: ("task_key",),
    VariationKind.MODIFY_TASK: ("task_key", "title", "instructions", "estimated_minutes"),
    VariationKind.EXTRA_MATERIAL: ("part_number", "description", "quantity", "unit"),
    VariationKind.ACCESS_NOTE: ("note",),
}
ALL_VARIATION_FIELDS = tuple(dict.fromkeys(name for names in VARIATION_FIELDS.values() for name in names))
