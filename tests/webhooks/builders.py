"""Builders of the webhooks tests: a tiny local HTTP receiver in a thread (records what it got, answers as told),
endpoints made through the service, and events of a test type emitted through the outbox."""

from __future__ import annotations

import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
    client: tuple = ()  # the sender's (address, port): one per connection


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request. `status`, `delay` and `location` say how it answers."""

    status: int = 200
    delay: float = 0.0
    location: str = ""
    tls: tuple[str, str] | None = None  # (certificate, key) files: serve https, recording the SNI names asked for
    received: list[Received] = field(default_factory=list)
    sni: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as production servers: no 40 ms delayed-ACK stall on kept-alive answers

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.received.append(Received(self.path, headers, body, self.client_address))
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
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            context.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

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


def certificate_for(folder: Path, host: str) -> tuple[str, str, str]:
    """A throwaway CA and a certificate for `host` signed by it (openssl): (CA file, certificate, key)."""

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Tutti test CA",
    )
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={host}")
    (folder / "san.cnf").write_text(f"subjectAltName=DNS:{host}\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "san.cnf",
    )
    return str(folder / "ca.pem"), str(folder / "leaf.pem"), str(folder / "leaf.key")
