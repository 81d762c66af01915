"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered in every app."""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from rollout.queues import stamp_sent_at

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings.development")

app = Celery("tutti")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every message carries its publish time, so /healthz can tell how long the oldest waiting task waited.
before_task_publish.connect(stamp_sent_at, dispatch_uid="tutti.stamp_sent_at")


@app.on_after_configure.connect
def _create_filesystem_queue_folders(sender, **kwargs):
    """The filesystem transport (embedded default, no broker server) needs its folders to exist."""
    from pathlib import Path

    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


# The request id and organization of the request that enqueued a task travel in its message headers, so that
# the worker's logs and audit events name the same request (rollout.logs).
REQUEST_ID_HEADER = "tutti_request_id"
ORGANIZATION_HEADER = "tutti_organization_id"
_context_tokens: dict[str, tuple] = {}


@before_task_publish.connect
def _carry_request_context(headers=None, **kwargs):
    from rollout.request_context import current_organization_id, current_request_id

    if headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, current_request_id())
        headers.setdefault(ORGANIZATION_HEADER, current_organization_id())


def _header(task, name):
    request = task.request
    value = getattr(request, name, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


@task_prerun.connect
def _restore_request_context(task_id=None, task=None, **kwargs):
    from rollout.request_context import organization_id_var, request_id_var

    request_id = _header(task, REQUEST_ID_HEADER)
    if request_id is None:  # run inline (eager) or sent without context: keep what the caller has
        return
    _context_tokens[task_id] = (
        request_id_var.set(request_id or ""),
        organization_id_var.set(_header(task, ORGANIZATION_HEADER)),
    )


@task_postrun.connect
def _forget_request_context(task_id=None, **kwargs):
    from rollout.request_context import organization_id_var, request_id_var

    tokens = _context_tokens.pop(task_id, None)
    if tokens is not None:
        request_id_var.reset(tokens[0])
        organization_id_var.reset(tokens[1])
