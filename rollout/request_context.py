"""The current request's id and organization, for audit events and logs, followed into Celery tasks."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
organization_id_var: ContextVar[int | None] = ContextVar("organization_id", default=None)


def current_request_id() -> str:
    return request_id_var.get()


def current_organization_id() -> int | None:
    return organization_id_var.get()
