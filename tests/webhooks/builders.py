"""Builders of the webhooks tests: a tiny local HTTP receiver in a thread (records what it got, answers as told),
endpoints made through the service, and events of a test type emitted through the outbox."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rollout import events
from rollout.choices import Role
from rollout.tenancy import Access
from webhooks import services

THING = events.event_type_register(
    events.EventType(
        name="tests.widget_installed",
        title="Widget installed",
        subject="organization",
        example={"organization": "acme", "widget_id": 7, "serial": "SN-1"},
    )
)
OTHER = events.event_type_register(
    events.EventType(name="tests.widget_removed", title="Widget removed", subject="organization", example={"n": 1})
)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hung up (a killed worker, a timeout test) is part of the test


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request. `status`, `delay` and `location` say how it answers."""

    status: int = 200
    delay: float = 0.0
    location: str = ""
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                answer = b'{"ok": true}' if receiver.status < 300 else b"no thanks " * 1000
                try:
                    self.send_response(receiver.status)
                    if receiver.location:
                        self.send_header("Location", receiver.location)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the client gave up (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def ids(self) -> list[str]:
        with self.lock:
            return [item.headers["webhook-id"] for item in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def admin_access(tenant) -> Access:
    member = tenant.members[Role.ADMIN]
    return Access(organization=tenant.organization, user=member.user, role=Role.ADMIN)


def endpoint_for(tenant, url: str, event_types=(THING.name,), **kwargs):
    return services.webhook_endpoint_create(
        organization=tenant.organization, actor=admin_access(tenant), url=url, event_types=list(event_types), **kwargs
    )


def emit(tenant, type_name: str = THING.name, **data):
    return events.event_emit(organization=tenant.organization, type=type_name, data={"widget_id": 7, **data})
