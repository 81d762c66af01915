"""Errors of the notifications app: each a stable `code` on the product's one ApplicationError base."""

from rollout.errors import ApplicationError


class MandatoryNotice(ApplicationError):
    """A notice the recipient must get (a cancelled or moved visit, a changed packet) cannot be switched off."""

    code = "notification_mandatory"
    default_message = "This notice cannot be switched off: it tells you about a change to your own work."


class UnknownChannel(ApplicationError):
    code = "unknown_channel"
    default_message = "Channel must be in_app or email."


class NoPerson(ApplicationError):
    """An API token that acts for no person has no notices and no preferences."""

    code = "no_person"
    status_code = 403
    default_message = "This API token acts for no person: notification preferences belong to a signed-in member."
