"""Errors of the quality app: each a stable `code` on the product's one ApplicationError base."""

from rollout.errors import ApplicationError, Conflict


class NotSubmitted(Conflict):
    """The work order is not waiting for review (never submitted, or a decision already stands)."""

    code = "not_submitted"
    default_message = "Only a submitted work order can be reviewed."


class AlreadyReviewed(Conflict):
    """Another reviewer decided first: their decision stands."""

    code = "already_reviewed"
    default_message = "Someone else reviewed this work order a moment ago; their decision stands."


class DefectRequired(ApplicationError):
    code = "defect_required"
    default_message = "A rejection needs at least one defect."


class EvidenceMismatch(ApplicationError):
    """A defect points at a task or evidence that is not this work order's reviewed visit's."""

    code = "evidence_mismatch"


class ExclusionNotAllowed(Conflict):
    code = "exclusion_not_allowed"


class NotAccepted(Conflict):
    """A warranty report needs accepted work (closed work is past its window)."""

    code = "not_accepted"


class WarrantyExpired(Conflict):
    code = "warranty_expired"
    default_message = "The warranty window of this work has ended."
