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


__all__ = ["AlreadyJoined", "ApplicationError", "SkillInactive", "TimeOffOverlap", "VendorInactive"]
