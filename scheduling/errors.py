"""Errors of the scheduling app, each with a stable `code`."""

from rollout.errors import ApplicationError, Conflict


class NoReadyWorkOrders(ApplicationError):
    code = "no_ready_work_orders"
    default_message = "No ready work order to schedule in this selection."


class DateRangeOutsideWave(ApplicationError):
    code = "date_range_outside_wave"
    default_message = "The date range must lie inside the wave's dates."


class InvalidDateRange(ApplicationError):
    code = "invalid_date_range"
    default_message = "The date range must end on or after its first day, and span at most 31 days."


class RunAlreadyRunning(Conflict):
    code = "schedule_run_already_running"
    default_message = "A schedule run is already queued or running on this wave: wait for it or cancel it."


class RunNotOpen(Conflict):
    code = "schedule_run_not_open"
    default_message = "Only a queued or running schedule run can be cancelled."


class RunNotSucceeded(Conflict):
    code = "schedule_run_not_succeeded"
    default_message = "Only a schedule run that succeeded can be published."


class RunStale(Conflict):
    code = "schedule_run_stale"
    default_message = "Work orders changed since this run: start a new run (the proposal no longer matches them)."


class NotATechnician(ApplicationError):
    status_code = 403
    code = "not_a_technician"
    default_message = "Calendar feeds are for technicians: sign in as the technician whose visits they list."
