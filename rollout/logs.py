"""Structured logs: every record carries the request id and the organization, in the web and in the worker.

The web sets both (rollout.middleware, the API base class) in context variables; a task enqueued while they are
set carries them in its message headers and the worker sets them again around the task (rollout.celery), so one
request can be followed from web to worker. Production writes one JSON object per line (LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from rollout.request_context import current_organization_id, current_request_id


class ContextFilter(logging.Filter):
    """Adds `request_id` and `organization_id` (empty when none) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.organization_id = current_organization_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, organization_id (+ exc_info)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
            "organization_id": getattr(record, "organization_id", None),
        }
        task_id = getattr(record, "task_id", None)
        if task_id:
            entry["task_id"] = task_id
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
