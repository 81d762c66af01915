"""What a program requires of its team: courses of the training path, per role.

A technician without a valid record of every course the program requires of technicians may not be assigned
to the program's work (the eligibility rules in technicians.selectors read the course ids this model gives).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from programs.models.plan import Program
from rollout.tenancy import TenantModel, TenantQuerySet
from technicians.choices import TRAINING_ROLE_CHOICES


class ProgramCourseRequirementQuerySet(TenantQuerySet):
    """Staff and integrators read a program's requirements; clients and technicians do not (the default)."""


class ProgramCourseRequirement(TenantModel):
    """A course of the training path the program requires of everyone in one role on its team."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="course_requirements")
    course = models.ForeignKey("technicians.Course", on_delete=models.PROTECT, related_name="program_requirements")
    role = models.CharField(max_length=20, choices=TRAINING_ROLE_CHOICES)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramCourseRequirementQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "role", "course__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "program", "course", "role"], name="program_course_requirement_unique"
            ),
        ]
        indexes = [models.Index(fields=["organization", "program", "role"])]

    def __str__(self) -> str:
        return f"{self.program_id}:{self.course_id}:{self.role}"
