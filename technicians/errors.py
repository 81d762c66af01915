"""Errors of the technicians app, each with a stable `code` (the API and pages render them alike)."""

from rollout.errors import ApplicationError, Conflict


class VendorInactive(ApplicationError):
    code = "vendor_inactive"
    default_message = "This vendor is inactive; reactivate it before assigning technicians to it."


class SkillInactive(ApplicationError):
    code = "skill_inactive"
    default_message = "This skill is no longer offered; reactivate it first."


class AlreadyJoined(Conflict):
    code = "technician_already_joined"
    default_message = "This technician has already joined; there is nothing to invite."


class TimeOffOverlap(Conflict):
    code = "time_off_overlap"
    default_message = "This time off overlaps time off already recorded."


class UnknownPerson(ApplicationError):
    """A training record's person is not in the organization: missing and foreign read alike."""

    code = "unknown_person"
    default_message = "No such person in this organization."


class UnknownCourse(ApplicationError):
    code = "unknown_course"
    default_message = "No such course in this organization."


class CourseNotForRole(ApplicationError):
    code = "course_not_for_role"
    default_message = "This course is not for this person's role."


class CourseInactive(ApplicationError):
    code = "course_inactive"
    default_message = "This course is retired; reactivate it first."


class InvalidCertificate(ApplicationError):
    code = "invalid_certificate"
    default_message = "The certificate must be a PDF, PNG or JPEG file of at most 10 MB."


__all__ = [
    "AlreadyJoined",
    "ApplicationError",
    "CourseInactive",
    "CourseNotForRole",
    "InvalidCertificate",
    "SkillInactive",
    "TimeOffOverlap",
    "UnknownCourse",
    "UnknownPerson",
    "VendorInactive",
]
