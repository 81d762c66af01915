"""Models of the programs app: the plan (programs, waves, SOW versions and their lines) in `plan`, and what
joins a program to its sites (enrollments, the attribute schema, site variations) in `site_planning`, and the
courses it requires of its team in `training`."""

from programs.models.plan import (
    ClientScopedQuerySet,
    Program,
    ProgramChildQuerySet,
    ProgramQuerySet,
    Sow,
    SowChildQuerySet,
    SowLine,
    SowMaterial,
    SowQuerySet,
    SowTask,
    Wave,
)
from programs.models.site_planning import Enrollment, EnrollmentQuerySet, ProgramAttribute, SiteVariation
from programs.models.training import ProgramCourseRequirement

__all__ = [
    "ClientScopedQuerySet",
    "Enrollment",
    "EnrollmentQuerySet",
    "Program",
    "ProgramAttribute",
    "ProgramChildQuerySet",
    "ProgramCourseRequirement",
    "ProgramQuerySet",
    "SiteVariation",
    "Sow",
    "SowChildQuerySet",
    "SowLine",
    "SowMaterial",
    "SowQuerySet",
    "SowTask",
    "Wave",
]
