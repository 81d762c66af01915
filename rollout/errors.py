"""One error base for the whole product: services raise these; every interface renders them alike."""


class ApplicationError(Exception):
    """A refused operation with a stable machine-readable `code` and a message for people."""

    code = "application_error"
    status_code = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field = field
        super().__init__(self.message)


class NotFound(ApplicationError):
    """Missing, or belonging to another organization: the two must be indistinguishable."""

    code = "not_found"
    status_code = 404
    default_message = "Not found."


class Conflict(ApplicationError):
    code = "conflict"
    status_code = 409
    default_message = "The object changed or is in a state that does not allow this."


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    status_code = 409
    default_message = "This move is not allowed from the current state."
