"""Real Celery worker processes for tests (marker `worker`): started on a private queue of the configured
broker (Redis in CI), sharing the test database; killable with SIGKILL, as a fault drill needs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from rollout.celery import app as celery_app


def database_url() -> str:
    """The URL of the *test* database this process uses, for the worker to share."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate, timeout=60.0, interval=0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class Worker:
    """One `celery worker` process group on `queue`, logging to `log_path` (appended)."""

    def __init__(self, *, queue: str, log_path: Path, env: dict, pool: str = "solo", concurrency: int = 1):
        self.queue, self.log_path = queue, log_path
        self.log = open(log_path, "a")  # noqa: SIM115 - closed in stop()/kill()
        command = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "rollout",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-Q",
            queue,
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ]
        # A session of its own, so a drill can SIGKILL the whole worker (main process and pool) at once.
        self.process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pool_processes(self) -> list[int]:
        """The pids of the main process's children (the prefork pool)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        """SIGKILL the main process and its pool: nothing is acknowledged, nothing cleans up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # pool processes left behind, if any
        self.log.close()


class Workers:
    """Starts workers on one private queue and routes this process's tasks there; stops them all at the end."""

    def __init__(self, tmp_path: Path, **extra_env):
        self.tmp_path = tmp_path
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = tmp_path / "worker.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "rollout.settings.base",
            "DATABASE_URL": database_url(),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            # What the worker itself enqueues (continuations, re-queues) stays on the private queue too.
            "TUTTI_CELERY_QUEUE": self.queue,
            **extra_env,
        }
        self.started: list[Worker] = []
        self.previous = {}

    def __enter__(self) -> Workers:
        # The app reads Django's CELERY_-namespaced settings; override them under those names.
        self.previous = {
            "CELERY_TASK_ALWAYS_EAGER": celery_app.conf.task_always_eager,
            "CELERY_TASK_DEFAULT_QUEUE": celery_app.conf.task_default_queue,
        }
        celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE=self.queue)
        return self

    def start(self, **options) -> Worker:
        worker = Worker(queue=self.queue, log_path=self.log_path, env=self.env, **options)
        self.started.append(worker)
        return worker

    def __exit__(self, *exc) -> None:
        celery_app.conf.update(self.previous)
        for worker in self.started:
            worker.stop()
        try:
            with celery_app.connection_for_write() as conn:
                conn.default_channel.queue_purge(self.queue)
        except Exception:  # noqa: BLE001 - a missing queue is fine
            pass
        if self.log_path.exists():
            (settings.VAR_DIR / "last-worker-test.log").write_bytes(self.log_path.read_bytes())
