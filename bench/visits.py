"""Field visits under load: the technician's check-in call and visit GET from 20 concurrent technicians against
a real server, and the dispatch board of a day with 500 visits, on PostgreSQL.

Cases (issue 5's targets):
- a real gunicorn server from the venv (WORKERS processes × THREADS threads, bound to 127.0.0.1 on a free port,
  persistent database connections as in production) on the benchmark database, and beside it, as in production,
  a Celery worker (prefork, WORKER_CONCURRENCY processes) that relays the events each check-in writes to the
  outbox (notifications, webhooks) once its transaction commits — on the same CPUs, so a product run's figure
  counts that work too: its clock stops when the last answer has come back *and* the outbox has been relayed;
  20 technicians, each signed in
  (a session cookie and CSRF token, as the phone) with 2 × VISITS_EACH dispatched visits of their own. Each
  technician's client, on its own thread, opens its visit (GET /api/v1/visits/{id}/) and checks in (POST
  …/check-in/ with a client action id and an Idempotency-Key, like the phone) for each of its visits: every
  check-in is a real one (the work order moves to in progress, the action is recorded, the visit comes back).
  Two runs: 20 technicians at a person's pace (THINK_SECONDS between taps — still far busier than a real day,
  where a technician checks in a few times) — target: check-in p95 under 150 ms; then the same 20 clients with
  no pause at all (a stress test: 20 requests always in flight on this 2-core machine), for capacity
  (requests/s) and the latency it costs, reported without a target;
- the dispatch board page for a day with 500 visits (every state), in-process: its query count (the same as for
  50 visits: a fixed number) and its time (median of 5).
Bounded: a fixed number of requests, a deadline, and the server is stopped in `finally`; loopback only.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.report import Row, latencies, percentile

NAME = "visits"
TECHNICIANS = 20
VISITS_EACH_FULL = 10
VISITS_EACH = VISITS_EACH_FULL
THINK_SECONDS = (1.0, 2.0)
BOARD_VISITS = 500
BOARD_SMALL = 50
WORKERS = int(os.environ.get("BENCH_VISITS_WORKERS", 4))
THREADS = int(os.environ.get("BENCH_VISITS_THREADS", 2))
WORKER_CONCURRENCY = 2  # the Procfile's worker
RELAY_DEADLINE_SECONDS = 120
P95_TARGET_MS = 150.0
DEADLINE_SECONDS = 240
SLUG = "bench-visits"
BASE_DIR = Path(__file__).resolve().parent.parent
# The server's settings: the benchmark's, with persistent database connections as in production.
SERVER_SETTINGS = """
from bench.settings import *  # noqa: F401,F403
from bench.settings import DATABASES, REST_FRAMEWORK

REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"principal": "100000/min", "anon": "100000/min"}}
ROOT_URLCONF = "bench_visits_urls"  # the product's URLs, plus the bare endpoints (BARE_URLS)
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Background tasks (the outbox's relay) go to the worker after the commit, as in production; not into the request.
CELERY_TASK_ALWAYS_EAGER = False
# Server errors go to the server's log (printed by the benchmark when a request fails).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
"""

# The ceiling: bare DRF endpoints of the same shape in the same server (same gunicorn, middleware, session sign-in
# and CSRF, database role): read one visit and serialize it; validate a check-in body and write it to the visit in
# a transaction (SELECT … FOR UPDATE, UPDATE), answering with the visit — a write beside the product's write, with
# none of its rules (state machine, geofence, idempotency, action log, audit, events, work order status).
BARE_URLS = """
from django.db import transaction
from django.db.models import F
from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workorders.models import Visit


class BareVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = ["id", "status", "window_start", "window_end", "local_date", "checkin_due_by", "check_in_device_time",
                  "check_in_latitude", "check_in_longitude", "location_status", "version"]


class BareCheckInSerializer(serializers.Serializer):
    client_action_id = serializers.UUIDField()
    device_time = serializers.DateTimeField()
    location_status = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    accuracy_m = serializers.FloatField()


class BareVisit(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, pk):
        return Response(BareVisitSerializer(Visit.objects.get(pk=pk)).data)


class BareCheckIn(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        body = BareCheckInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            visit = Visit.objects.select_for_update().get(pk=pk)
            Visit.objects.filter(pk=pk).update(
                check_in_device_time=body.validated_data["device_time"],
                check_in_latitude=body.validated_data["latitude"],
                check_in_longitude=body.validated_data["longitude"],
                check_in_accuracy_m=body.validated_data["accuracy_m"],
                version=F("version") + 1,
            )
            visit = Visit.objects.get(pk=pk)
        return Response(BareVisitSerializer(visit).data)


urlpatterns = [
    path("bench/bare/visits/<int:pk>/", BareVisit.as_view()),
    path("bench/bare/visits/<int:pk>/check-in/", BareCheckIn.as_view()),
    path("", include("rollout.urls")),
]
"""
PRODUCT_PATHS = ("/api/v1/visits/{id}/", "/api/v1/visits/{id}/check-in/")
BARE_PATHS = ("/bench/bare/visits/{id}/", "/bench/bare/visits/{id}/check-in/")


# --- Data -----------------------------------------------------------------------------------------------


def _cleanup(organization) -> None:
    """Remove the benchmark's rows (in dependency order), so that a run starts from nothing."""
    from programs.models import Enrollment, Program, Sow, SowTask
    from rollout.models import AuditEvent, IdempotencyRecord, Membership
    from sites.models import Site, SiteContact
    from technicians.models import Technician, TechnicianSkill
    from workorders.models import (
        Packet,
        PacketAcknowledgement,
        Shipment,
        TaskResult,
        Visit,
        VisitAction,
        VisitPhoto,
        VisitSignOff,
        WorkOrder,
        WorkOrderNumberSequence,
    )

    for model in (VisitAction, TaskResult, VisitPhoto, VisitSignOff):
        model.objects.for_organization(organization).delete()
    Visit.objects.for_organization(organization).update(follow_up_of=None)
    for model in (Visit, PacketAcknowledgement, Packet, Shipment, WorkOrder, WorkOrderNumberSequence, Enrollment):
        model.objects.for_organization(organization).delete()
    for model in (SowTask, Sow, Program, SiteContact, Site, TechnicianSkill, Technician, AuditEvent):
        model.objects.for_organization(organization).delete()
    IdempotencyRecord.objects.for_organization(organization).delete()
    Membership.objects.filter(organization=organization).delete()


def _build(organization, client, visit_day: date, board_day: date, passes: int = 2) -> dict:
    """Program with an approved SOW of 12 tasks, 20 technicians (users, memberships), `passes` × VISITS_EACH
    dispatched visits each on `visit_day`, and BOARD_VISITS visits in every state on `board_day` — written in bulk."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from programs.choices import EvidenceKind, SowStatus
    from programs.models import Enrollment, Program, Sow, SowTask
    from rollout.choices import Role
    from rollout.models import Membership, User
    from sites.models import Site, SiteContact
    from technicians.models import Technician
    from workorders.choices import PacketStatus, VisitStatus
    from workorders.models import Packet, Visit, WorkOrder
    from workorders.packets.selectors import packet_compile_many

    zone = ZoneInfo("America/Chicago")
    program = Program.objects.create(
        organization=organization, client=client, code="bench-visits", name="Bench visits",
        start_date="2026-01-01", end_date="2027-12-31", geofence_radius_m=300,
    )  # fmt: skip
    sow = Sow.objects.create(organization=organization, program=program, version=1)
    kinds = [EvidenceKind.PHOTO, EvidenceKind.SERIAL, EvidenceKind.MEASUREMENT, EvidenceKind.NONE]
    SowTask.objects.bulk_create(
        SowTask(
            organization=organization, sow=sow, key=f"task-{n:02d}", position=n, title=f"Install step {n}",
            instructions=f"Fit part {n} as drawn in the **wiring plan**.\n\n- label both ends\n- test",
            estimated_minutes=15, evidence_kind=kinds[n % 4],
            photo_min_count=1 if kinds[n % 4] == EvidenceKind.PHOTO else None,
            serial_pattern=r"SCO-\d{6}" if kinds[n % 4] == EvidenceKind.SERIAL else "",
            measurement_unit="V" if kinds[n % 4] == EvidenceKind.MEASUREMENT else "",
        )
        for n in range(1, 13)
    )  # fmt: skip
    Sow.objects.filter(pk=sow.pk).update(status=SowStatus.APPROVED, approved_at=timezone.now())
    sow.refresh_from_db()
    field_visits = TECHNICIANS * VISITS_EACH * passes
    total = field_visits + BOARD_VISITS
    sites = Site.objects.bulk_create(
        Site(organization=organization, client=client, code=f"BV-{n:05d}", name=f"Store {n}",
             address_line1=f"{n} Main St", city="Chicago", state="IL", postal_code="60601",
             latitude=Decimal("41.878100"), longitude=Decimal("-87.629800"), timezone="America/Chicago",
             access_hours={}, blackout_dates=[])
        for n in range(total)
    )  # fmt: skip
    SiteContact.objects.bulk_create(
        SiteContact(organization=organization, site=site, name=f"Manager {site.code}", role="Store manager",
                    phone="+1 312 555 0100", is_primary=True)
        for site in sites
    )  # fmt: skip
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(organization=organization, program=program, site=site) for site in sites
    )
    work_orders = WorkOrder.objects.bulk_create(
        WorkOrder(organization=organization, program=program, site_id=e.site_id, enrollment=e, sow=sow,
                  number=f"BV-{n:06d}", sequence=n + 1, status="dispatched")
        for n, e in enumerate(enrollments)
    )  # fmt: skip
    snapshots = packet_compile_many(organization=organization, program=program, sow=sow, work_orders=work_orders)
    Packet.objects.bulk_create(
        Packet(organization=organization, work_order=wo, version=1, snapshot=snapshots[wo.pk].to_json(),
               checksum=snapshots[wo.pk].checksum, sow=sow, status=PacketStatus.RENDERED, rendered_at=timezone.now())
        for wo in work_orders
    )  # fmt: skip
    users, technicians = [], []
    for n in range(TECHNICIANS):
        email = f"bench-tech-{n:02d}@bench-visits.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=secrets.token_urlsafe(16), full_name=f"Bench Technician {n:02d}"
        )
        Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": Role.TECHNICIAN})
        users.append(user)
        technicians.append(
            Technician.objects.create(
                organization=organization, user=user, email=email, full_name=user.full_name,
                home_latitude=Decimal("41.878100"), home_longitude=Decimal("-87.629800"), timezone="America/Chicago",
            )
        )  # fmt: skip
    coordinator = User.objects.filter(email="bench-coordinator@bench-visits.example").first()
    if coordinator is None:
        coordinator = User.objects.create_user(
            email="bench-coordinator@bench-visits.example", password=secrets.token_urlsafe(16), full_name="Coordinator"
        )
    Membership.objects.get_or_create(organization=organization, user=coordinator, defaults={"role": Role.COORDINATOR})
    visits = []
    for n, work_order in enumerate(work_orders[:field_visits]):
        start = datetime.combine(visit_day, datetime.min.time(), tzinfo=zone) + timedelta(hours=6, minutes=30 * n)
        visits.append(
            Visit(organization=organization, work_order=work_order, technician=technicians[n % TECHNICIANS],
                  window_start=start, window_end=start + timedelta(hours=1), local_date=visit_day,
                  checkin_due_by=start + timedelta(minutes=30), status=VisitStatus.CONFIRMED)
        )  # fmt: skip
    statuses = list(VisitStatus)
    for n, work_order in enumerate(work_orders[field_visits:]):
        start = datetime.combine(board_day, datetime.min.time(), tzinfo=zone) + timedelta(hours=6, minutes=n % 720)
        visits.append(
            Visit(organization=organization, work_order=work_order, technician=technicians[n % TECHNICIANS],
                  window_start=start, window_end=start + timedelta(hours=2), local_date=board_day,
                  checkin_due_by=start + timedelta(minutes=30), status=statuses[n % len(statuses)])
        )  # fmt: skip
    Visit.objects.bulk_create(visits)
    mine: dict[int, list[int]] = {user.pk: [] for user in users}
    by_technician = {technician.pk: technician.user_id for technician in technicians}
    for visit in Visit.objects.for_organization(organization).filter(local_date=visit_day).order_by("pk"):
        mine[by_technician[visit.technician_id]].append(visit.pk)
    # Statistics, as autovacuum keeps them on a live database: without them the planner guesses one row per table
    # and joins the visit page's seven tables from the sites' side (210 ms a read here instead of well under 1 ms).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"users": users, "coordinator": coordinator, "visits": mine}


def _session(user, organization) -> str:
    """A signed-in session for `user`, as the login page would leave it (the organization last opened)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from rollout.access import SESSION_KEY as ORGANIZATION_KEY

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[ORGANIZATION_KEY] = organization.pk
    store.create()
    return store.session_key


# --- The server and its clients -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env(settings_dir: str) -> dict:
    """The environment of the server and its worker: the server's settings, and a queue of the run's own."""
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_visits_server",
        "PYTHONPATH": os.pathsep.join([settings_dir, str(BASE_DIR)]),
        "TUTTI_VAR_DIR": str(settings.VAR_DIR),
        "TUTTI_CELERY_QUEUE": f"bench-visits-{Path(settings_dir).name}",
    }


def _start_worker(settings_dir: str) -> subprocess.Popen:
    env = _server_env(settings_dir)
    command = [
        str(Path(sys.executable).with_name("celery")), "-A", "rollout", "worker", "--pool=prefork",
        f"--concurrency={WORKER_CONCURRENCY}", "-Q", env["TUTTI_CELERY_QUEUE"], "--without-mingle", "--without-gossip",
        "--loglevel=WARNING",
    ]  # fmt: skip
    log = open(Path(settings_dir, "worker.log"), "wb")  # noqa: SIM115 - closed with the worker
    worker = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    worker.log_path = log.name
    return worker


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=5)


def _relayed(organization, since, worker: subprocess.Popen, deadline_seconds: float = RELAY_DEADLINE_SECONDS) -> None:
    """Wait until the worker has relayed every event the organization's outbox received since `since` (bounded)."""
    from rollout.models import Event

    deadline = time.monotonic() + deadline_seconds
    waiting = Event.objects.for_organization(organization).filter(occurred_at__gte=since, relayed_at__isnull=True)
    while waiting.exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not relay the outbox: {_log_tail(worker)}")
        time.sleep(0.02)


def _start_server(port: int, settings_dir: str) -> subprocess.Popen:
    env = _server_env(settings_dir)
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "rollout.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--threads", str(THREADS),
        "--worker-class", "gthread", "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning",
        "--chdir", str(BASE_DIR),
    ]  # fmt: skip
    log = open(Path(settings_dir, "server.log"), "wb")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    server.log_path = log.name
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {_log_tail(server)}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status < 500:
                connection.close()
                return server
        except OSError:
            time.sleep(0.2)
    _stop(server)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _log_tail(server: subprocess.Popen, size: int = 3000) -> str:
    return Path(server.log_path).read_text(errors="replace")[-size:]


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


class Phone:
    """One technician's phone: a persistent connection with their session and CSRF cookies."""

    def __init__(self, port: int, session_key: str, slug: str):
        self.port = port
        self.csrf = secrets.token_hex(16)
        self.headers = {
            "Cookie": f"sessionid={session_key}; csrftoken={self.csrf}",
            "X-CSRFToken": self.csrf,
            "X-Organization": slug,
            "Accept": "application/json",
        }
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {**self.headers, **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in range(2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=payload, headers=all_headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, (time.perf_counter() - started) * 1000, data
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise RuntimeError("unreachable")


def _drive(phone: Phone, visit_ids: list[int], deadline: float, samples: dict, errors: list, think, paths) -> None:
    """Open each visit, then check in, like the phone on site (pausing `think` seconds between taps, if given)."""
    rng = random.Random(visit_ids[0])

    def pause() -> None:
        if think:
            time.sleep(rng.uniform(*think))

    pause()  # technicians do not all tap at the same millisecond
    for visit_id in visit_ids:
        if time.monotonic() > deadline:
            errors.append("deadline reached")
            return
        status, elapsed, _ = phone.call("GET", paths[0].format(id=visit_id))
        samples["get"].append(elapsed)
        if status != 200:
            errors.append(f"GET {paths[0].format(id=visit_id)}: {status}")
        pause()
        body = {
            "client_action_id": str(uuid.uuid4()),
            "device_time": datetime.now().astimezone().isoformat(),
            "location_status": "ok",
            "latitude": "41.878300",
            "longitude": "-87.629800",
            "accuracy_m": 12,
        }
        status, elapsed, data = phone.call(
            "POST", paths[1].format(id=visit_id), body, {"Idempotency-Key": str(uuid.uuid4())}
        )
        samples["check_in"].append(elapsed)
        if status != 200:
            errors.append(f"POST {paths[1].format(id=visit_id)}: {status} {data[:200]!r}")
        pause()


def _load(
    port: int, sessions: list[tuple[str, list[int]]], think=None, paths=PRODUCT_PATHS, settle=None
) -> tuple[dict, float, list]:
    """Drive every phone on its own thread; the elapsed time runs until the last answer, then until `settle()`
    (the worker's relay of what the run wrote) returns."""
    samples: dict[str, list[float]] = {"get": [], "check_in": []}
    lock = threading.Lock()
    errors: list[str] = []
    phones = [Phone(port, key, SLUG) for key, _ in sessions]
    for phone, (_, visit_ids) in zip(phones, sessions, strict=True):  # warm-up: one GET each (not measured)
        phone.call("GET", paths[0].format(id=visit_ids[0]))
    deadline = time.monotonic() + DEADLINE_SECONDS
    started = time.perf_counter()

    def work(index: int) -> None:
        local_samples: dict[str, list[float]] = {"get": [], "check_in": []}
        local_errors: list[str] = []
        _drive(phones[index], sessions[index][1], deadline, local_samples, local_errors, think, paths)
        with lock:
            for key, values in local_samples.items():
                samples[key].extend(values)
            errors.extend(local_errors)

    with ThreadPoolExecutor(max_workers=len(phones)) as pool:
        list(pool.map(work, range(len(phones))))
    if settle is not None:
        settle()
    elapsed = time.perf_counter() - started
    for phone in phones:
        phone.connection.close()
    return samples, elapsed, errors


# --- The board --------------------------------------------------------------------------------------------


def _board(organization, coordinator, day: date, *, repeat: int = 1) -> tuple[int, int, float]:
    """(queries, rows shown, median seconds) of the dispatch board page for `day`, in-process."""
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(coordinator)
    url = f"/o/{organization.slug}/dispatch/?date={day.isoformat()}"
    client.get(url)  # warm-up (session, templates)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    return len(queries), response.content.decode().count("data-visit="), statistics.median(timings)


def run(size) -> list[Row]:
    from django.utils import timezone

    from rollout.models import Client, Organization
    from workorders.models import Visit

    global VISITS_EACH
    VISITS_EACH = 1 if size.tiny else (2 if size.quick else VISITS_EACH_FULL)
    think = (0.05, 0.1) if size.tiny else ((0.5, 1.0) if size.quick else THINK_SECONDS)
    organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Bench visits"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
    _cleanup(organization)
    visit_day, board_day = date(2027, 3, 3), date(2027, 3, 4)
    data = _build(organization, client, visit_day, board_day, passes=2 * size.runs)
    board_large, board_rows, _ = _board(organization, data["coordinator"], board_day, repeat=1)
    assert board_rows == BOARD_VISITS, board_rows
    # 50 of the board day's visits moved to the day after: the small board reads as many queries.
    small_day = board_day + timedelta(days=1)
    small_ids = list(
        Visit.objects.for_organization(organization)
        .filter(local_date=board_day)
        .values_list("pk", flat=True)[:BOARD_SMALL]
    )
    Visit.objects.filter(pk__in=small_ids).update(local_date=small_day)
    board_small, small_rows, _ = _board(organization, data["coordinator"], small_day)
    assert small_rows == BOARD_SMALL, small_rows
    board_times = [_board(organization, data["coordinator"], board_day)[2] * 1000 for _ in range(size.runs)]
    keys = {user.pk: _session(user, organization) for user in data["users"]}

    def sessions(index: int) -> list[tuple[str, list[int]]]:
        """The visits of pass `index`: every pass checks in visits not checked in yet."""
        chunk = slice(index * VISITS_EACH, (index + 1) * VISITS_EACH)
        return [(keys[user.pk], data["visits"][user.pk][chunk]) for user in data["users"]]

    port = _free_port()
    results: dict[str, list] = {key: [] for key in ("stress", "stress_bare", "paced", "paced_bare")}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-visits-") as settings_dir:
        Path(settings_dir, "bench_visits_server.py").write_text(SERVER_SETTINGS)
        Path(settings_dir, "bench_visits_urls.py").write_text(BARE_URLS)
        server = _start_server(port, settings_dir)
        worker = _start_worker(settings_dir)
        since = timezone.now()
        try:

            def relayed() -> None:
                _relayed(organization, since, worker)

            for run_index in range(size.runs):  # interleaved: each run measures the product, then its ceiling
                stress, paced = sessions(2 * run_index), sessions(2 * run_index + 1)
                for key, chosen, pause, paths in (
                    ("stress", stress, None, PRODUCT_PATHS),
                    ("stress_bare", stress, None, BARE_PATHS),
                    ("paced", paced, think, PRODUCT_PATHS),
                    ("paced_bare", paced, think, BARE_PATHS),
                ):
                    settle = relayed if paths == PRODUCT_PATHS else None
                    samples, elapsed, run_errors = _load(port, chosen, pause, paths, settle)
                    results[key].append((samples, elapsed))
                    errors.extend(run_errors)
            if errors:
                print(f"server log:\n{_log_tail(server)}", file=sys.stderr)
        finally:
            _stop(server)
            _stop_worker(worker)
    checked_in = Visit.objects.for_organization(organization).filter(local_date=visit_day, status="checked_in").count()
    _cleanup(organization)
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    expected = 2 * size.runs * TECHNICIANS * VISITS_EACH
    assert checked_in == expected, (checked_in, expected)

    def rates(key: str, kind: str) -> list[float]:
        return [len(samples[kind]) / elapsed for samples, elapsed in results[key]]

    def pooled(key: str, kind: str) -> list[float]:
        return [value for samples, _ in results[key] for value in samples[kind]]

    def p95s(key: str, kind: str) -> list[float]:
        return [percentile(samples[kind], 0.95) for samples, _ in results[key]]

    server = (
        f"gunicorn {WORKERS}×{THREADS} gthread + worker ×{WORKER_CONCURRENCY} (outbox relayed in the time); "
        f"{TECHNICIANS} clients × {VISITS_EACH} visits per run"
    )
    paced_p95 = percentile(pooled("paced", "check_in"), 0.95)
    verdict = "ok" if paced_p95 <= P95_TARGET_MS else "MISSED"
    label = f"{TECHNICIANS} technicians, {think[0]:g}–{think[1]:g} s between taps"
    rows = []
    for kind, name, ceiling in (("check_in", "check-in", "bare DRF write"), ("get", "visit GET", "bare DRF read")):
        rows += [
            Row(NAME, f"{name}, {TECHNICIANS} clients, no pause (stress)", "req/s", rates("stress", kind), ceiling,
                rates("stress_bare", kind), goal=0.5 if kind == "check_in" else None,
                latency=latencies(pooled("stress", kind)), ceiling_latency=latencies(pooled("stress_bare", kind)),
                note=server),
            Row(NAME, f"{name} p95, {label}", "ms", p95s("paced", kind), ceiling, p95s("paced_bare", kind),
                lower_is_better=True, latency=latencies(pooled("paced", kind)),
                ceiling_latency=latencies(pooled("paced_bare", kind)),
                note=f"target p95 ≤ {P95_TARGET_MS:.0f} ms: {paced_p95:.0f} ms {verdict}" if kind == "check_in"
                else ""),
        ]  # fmt: skip
    rows.append(
        Row(NAME, f"dispatch board, {BOARD_VISITS} visits", "ms", board_times, "none (fixed query count)",
            lower_is_better=True,
            note=f"{board_large} queries ({board_small} for {BOARD_SMALL} visits) "
            f"{'ok' if board_large == board_small else 'NOT FIXED'}; in-process")
    )  # fmt: skip
    return rows
