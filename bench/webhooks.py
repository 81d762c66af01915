"""Webhooks: deliveries per second to a local receiver, beside a bare loop of signed POSTs to the same receiver in
the same run.

Cases (issue 14's target), each run twice — against a receiver on 127.0.0.1 that answers 200 at once, and against
one that takes RECEIVER_MS (50 ms) to answer, as a receiver doing real work does:
- the ceiling: one plain loop in this process that signs each message with `standardwebhooks` and POSTs it on a
  new connection (as each delivery connects anew) to the receiver;
- deliveries: a real Celery worker (prefork, the worker's default concurrency: one process per core, 2 here) on
  the broker (Redis when REDIS_URL is set), the benchmark database, the same receiver; N events committed in one
  transaction, timed from the commit until the receiver has every one and every delivery row is `succeeded` —
  the whole path: outbox relay, one delivery row per event, claim, sign, SSRF-checked pinned POST, attempt row;
  target: at least 0.5× the ceiling.
Bounded: a fixed number of messages, a deadline, and the worker is stopped in `finally`; loopback only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.report import Row

NAME = "webhooks"
MESSAGES = int(os.environ.get("BENCH_WEBHOOKS_MESSAGES", 500))
SLOW_MESSAGES = int(os.environ.get("BENCH_WEBHOOKS_SLOW_MESSAGES", 200))
RECEIVER_MS = int(os.environ.get("BENCH_WEBHOOKS_RECEIVER_MS", 50))
WARM_UP = 20
CONCURRENCY = os.cpu_count() or 2  # Celery's default --concurrency
TARGET_RATIO = 0.5
DEADLINE_SECONDS = 300
SLUG = "bench-webhooks"
BASE_DIR = Path(__file__).resolve().parent.parent


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.count = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY, as production HTTP servers set it: the handler writes its status line and headers, then
            # its body, in two sends; with Nagle on, the second waits for the client's delayed ACK (40 ms) on a
            # kept-alive connection.
            disable_nagle_algorithm = True

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address):
        pass

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"

    def received(self) -> int:
        with self.lock:
            return self.count


def _bare_loop(receiver: Receiver, secret: str, messages: int) -> float:
    """Sign and POST `messages` bodies one after another, each on a new connection. Returns the seconds taken."""
    import http.client

    from standardwebhooks.webhooks import Webhook

    signer = Webhook(secret)
    port = receiver.server_address[1]
    started = time.perf_counter()
    for n in range(messages):
        body = f'{{"type":"bench.thing","data":{{"n":{n}}}}}'.encode()
        msg_id = f"msg_{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(msg_id=msg_id, timestamp=now, data=body),
        }
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/hooks", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status == 200
    return time.perf_counter() - started


def _start_worker(queue: str, log) -> subprocess.Popen:
    from bench.settings import BENCH_DATABASE_URL

    # The worker runs as in production (rollout.settings.base: persistent database connections, tasks on the
    # broker), on the benchmark database.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rollout.settings.base",
        "DATABASE_URL": BENCH_DATABASE_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "TUTTI_CELERY_QUEUE": queue,
        "TUTTI_WEBHOOKS_ALLOW_LOOPBACK": "1",
        "TUTTI_WEBHOOKS_ALLOW_HTTP": "1",
    }
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "rollout",
        "worker",
        "--pool=prefork",
        f"--concurrency={CONCURRENCY}",
        "-Q",
        queue,
        "--without-mingle",
        "--without-gossip",
        "--loglevel=WARNING",
    ]
    return subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait(predicate, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def run(size) -> list[Row]:
    from django.conf import settings
    from django.db import transaction

    from rollout import events
    from rollout.celery import app as celery_app
    from rollout.models import Organization
    from webhooks import services
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    fast_messages = size.pick(MESSAGES, 100, 10)
    slow_messages = size.pick(SLOW_MESSAGES, 40, 5)
    settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK = settings.TUTTI_WEBHOOKS_ALLOW_HTTP = True
    events.event_type_register(events.EventType(name="bench.thing_happened", title="Bench", subject="organization"))
    organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Bench webhooks"})
    WebhookEndpoint.objects.filter(organization=organization).delete()
    receiver = Receiver()
    endpoint = services.webhook_endpoint_create(
        organization=organization, actor=None, url=receiver.url, event_types=["bench.thing_happened"]
    )

    queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    previous = {
        "CELERY_TASK_ALWAYS_EAGER": celery_app.conf.task_always_eager,
        "CELERY_TASK_DEFAULT_QUEUE": celery_app.conf.task_default_queue,
    }
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE=queue)
    log_path = Path(settings.VAR_DIR) / "bench-webhooks-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - closed in finally
    worker = _start_worker(queue, log)
    deadline = time.monotonic() + DEADLINE_SECONDS

    def emit(n: int) -> float:
        """Commit `n` events in one transaction; returns when the commit began (the clock's start)."""
        with transaction.atomic():
            for i in range(n):
                events.event_emit(organization=organization, type="bench.thing_happened", data={"n": i})
            committing = time.perf_counter()  # leaving the block commits, then relays (on commit)
        return committing

    def succeeded() -> int:
        return WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded").count()

    def deliveries(messages: int) -> float:
        before_received, before_succeeded = receiver.received(), succeeded()
        started = emit(messages)
        finished = _wait(
            lambda: receiver.received() - before_received >= messages and succeeded() - before_succeeded >= messages,
            deadline,
        )
        if not finished:
            raise SystemExit(f"webhooks bench: not every delivery succeeded before the deadline; see {log_path}")
        return time.perf_counter() - started

    measured: dict[int, tuple[list, list]] = {0: ([], []), RECEIVER_MS: ([], [])}
    try:
        # Warm up: the worker's processes start, import, connect.
        emit(WARM_UP)
        if not _wait(lambda: succeeded() >= WARM_UP, deadline):
            raise SystemExit(f"webhooks bench: the worker delivered nothing; see {log_path}")
        for _ in range(size.runs):
            for delay_ms, messages in ((0, fast_messages), (RECEIVER_MS, slow_messages)):
                receiver.delay = delay_ms / 1000
                # The ceiling while the worker idles, then the deliveries.
                measured[delay_ms][1].append(messages / _bare_loop(receiver, endpoint.secret, messages))
                measured[delay_ms][0].append(messages / deliveries(messages))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()
        celery_app.conf.update(previous)
        receiver.shutdown()
        receiver.server_close()
    rows = []
    for delay_ms, (rates, ceilings) in measured.items():
        label = "receiver answers at once" if not delay_ms else f"receiver takes {delay_ms} ms"
        messages = fast_messages if not delay_ms else slow_messages
        rows.append(
            Row(NAME, f"deliveries, worker concurrency {CONCURRENCY}; {label}", "msg/s", rates,
                "bare loop of signed POSTs", ceilings, goal=TARGET_RATIO,
                note=f"{messages:,} events per run, from commit to every delivery succeeded")
        )  # fmt: skip
    return rows
