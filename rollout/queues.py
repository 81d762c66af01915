"""What waits in the broker: queue depth and the age of the oldest waiting task, for /healthz.

Every task message carries the time it was published (header `tutti_sent_at`, stamped by rollout.celery),
so the oldest waiting message tells how long work has been waiting. Read straight from the broker: Redis
(`LLEN` and the list's tail, where the next message to deliver sits) or the filesystem transport's folder.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

SENT_AT_HEADER = "tutti_sent_at"


@dataclass(frozen=True)
class QueueState:
    depth: int
    oldest_sent_at: float | None  # epoch seconds of the oldest waiting message, when known

    @property
    def oldest_age_seconds(self) -> float | None:
        return None if self.oldest_sent_at is None else max(0.0, time.time() - self.oldest_sent_at)


def _sent_at(raw: bytes | str | None) -> float | None:
    if not raw:
        return None
    try:
        value = json.loads(raw).get("headers", {}).get(SENT_AT_HEADER)
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _redis_state(url: str, queues: list[str]) -> QueueState:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        depth, oldest = 0, None
        for queue in queues:
            depth += client.llen(queue)
            sent = _sent_at(client.lindex(queue, -1))  # LPUSH in, BRPOP out: the tail is the oldest
            if sent is not None:
                oldest = sent if oldest is None else min(oldest, sent)
        return QueueState(depth=depth, oldest_sent_at=oldest)
    finally:
        client.close()


def _filesystem_state(folder: str, queues: list[str]) -> QueueState:
    suffixes = tuple(f".{queue}.msg" for queue in queues)
    try:
        names = [name for name in os.listdir(folder) if name.endswith(suffixes)]
    except FileNotFoundError:
        return QueueState(depth=0, oldest_sent_at=None)
    oldest = None
    if names:
        # Names start with the publisher's monotonic milliseconds; the file's mtime is the wall clock.
        path = os.path.join(folder, min(names, key=lambda name: int(name.split("_", 1)[0] or 0)))
        try:
            with open(path, "rb") as handle:
                oldest = _sent_at(handle.read()) or os.path.getmtime(path)
        except OSError:
            oldest = None
    return QueueState(depth=len(names), oldest_sent_at=oldest)


def queue_state(app) -> QueueState:
    """Depth of the app's queues and when their oldest waiting message was published. Raises on a broker
    error (the caller reports it)."""
    queues = sorted({app.conf.task_default_queue, *(queue.name for queue in (app.conf.task_queues or []))})
    url = app.conf.broker_url
    if url.startswith(("redis://", "rediss://")):
        return _redis_state(url, queues)
    if url.startswith("filesystem://"):
        return _filesystem_state(app.conf.broker_transport_options["data_folder_in"], queues)
    return QueueState(depth=0, oldest_sent_at=None)


def stamp_sent_at(headers: dict | None = None, **kwargs) -> None:
    """before_task_publish receiver: the publish time, read back by queue_state."""
    if headers is not None:
        headers.setdefault(SENT_AT_HEADER, time.time())


__all__ = ["QueueState", "queue_state", "stamp_sent_at"]
