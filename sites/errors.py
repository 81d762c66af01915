"""Errors of the sites app, each with a stable `code` (the API and pages render them alike)."""

from rollout.errors import ApplicationError, Conflict


class DuplicateSiteCode(ApplicationError):
    code = "duplicate_code"


class ImportNotReady(Conflict):
    code = "import_not_ready"
    default_message = "The dry run has not finished yet."


class ImportHasErrors(Conflict):
    code = "import_has_errors"
    default_message = "The dry run found problems: fix the file and upload it again."


class ImportFailed(Conflict):
    code = "import_failed"
    default_message = "This import failed: upload the file again."
