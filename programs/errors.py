"""Errors of the programs app, each with a stable `code` (the API and pages render them alike)."""

from rollout.errors import ApplicationError, Conflict


class SowApproved(Conflict):
    """Any write to an approved SOW, its tasks or its materials, from any route."""

    code = "sow_approved"
    default_message = "This SOW version is approved and can no longer be changed; start a new version instead."


class DraftExists(Conflict):
    code = "draft_exists"
    default_message = "This program already has a draft SOW; edit or approve it first."


class ProgramClosed(Conflict):
    code = "program_closed"
    default_message = "This program is closed; its plan can no longer be changed."


class InUse(Conflict):
    code = "in_use"
    default_message = "Other records still refer to this; remove those first."


class VariationDecided(Conflict):
    """Any change to a site variation that was already approved or rejected."""

    code = "variation_decided"
    default_message = "This variation was already decided; only pending variations can change."


class NotAllowed(ApplicationError):
    """The caller's role may not do this (checked by the service too, whichever route calls it)."""

    code = "permission_denied"
    status_code = 403
    default_message = "Your role does not allow this action."


__all__ = [
    "ApplicationError",
    "DraftExists",
    "InUse",
    "NotAllowed",
    "ProgramClosed",
    "SowApproved",
    "VariationDecided",
]
