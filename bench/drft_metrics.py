"""The DRFT metrics endpoint under 8 concurrent clients on a real server, beside a bare endpoint reading the same
snapshot rows (issue 13's speed section: p95 ≤ 100 ms, a fixed query count).

Data: bench/drft.py's synthetic program (facts over 4 waves, 10 regions, 10 vendors, 100 technicians, 52 weeks),
its snapshots built by quality.drft.drft_snapshots_rebuild, and a PM signed in (a session, as the browser).
Server: the same gunicorn as bench/visits.py (its helpers: WORKERS × THREADS gthread, persistent connections).
Each of 8 clients, on its own thread and connection, asks for DRFT by technician (100 rows: the widest dimension)
REQUESTS times with no pause; then the same against the ceiling — a bare DRF view in the same server (same
middleware, session, database role) that reads the same all-time technician snapshots and returns them, with none
of the product's work (organization scoping and roles, visibility, the query serializer, summing across programs,
percentages). Interleaved per run. The query count of one request is measured in-process for 10 and 100
technicians' snapshots (fixed: the same number).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.report import Row, latencies, percentile

NAME = "drft_metrics"
SLUG = "bench-drft-metrics"
CLIENTS = 8
P95_TARGET_MS = 100.0
PRODUCT_PATH = "/api/v1/drft-metrics/?dimension=technician"
BARE_PATH = "/bench/bare/drft-technicians/"
BARE_URLS = """
from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from quality.models import DrftSnapshot


class BareSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrftSnapshot
        fields = ["key", "label", "final_drft", "final_total", "provisional_drft", "provisional_total", "excluded"]


class BareTechnicians(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        rows = DrftSnapshot.objects.filter(dimension="technician", week="").order_by("key")
        return Response(BareSnapshotSerializer(rows, many=True).data)


urlpatterns = [
    path("bench/bare/drft-technicians/", BareTechnicians.as_view()),
    path("", include("rollout.urls")),
]
"""


def _queries(organization, user) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = api.get(PRODUCT_PATH, HTTP_X_ORGANIZATION=organization.slug, HTTP_HOST="localhost")
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries)


def _load(port: int, session_key: str, slug: str, path: str, requests: int) -> tuple[list[float], float, list]:
    from bench.visits import Phone

    samples: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client():
        phone = Phone(port, session_key, slug)
        for _ in range(requests):
            status, ms, data = phone.call("GET", path)
            with lock:
                if status == 200:
                    samples.append(ms)
                else:
                    errors.append(f"{status} {data[:200]!r}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return samples, time.perf_counter() - started, errors


def run(size) -> list[Row]:
    from bench import visits
    from bench.drft import _build, _cleanup
    from quality.drft import drft_snapshots_rebuild
    from quality.models import DrftSnapshot
    from rollout.choices import Role
    from rollout.models import Client, Membership, Organization, User

    rows = size.pick(100_000, 5_000, 200)
    requests = size.pick(200, 40, 5) if size.rows is None else 40
    organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Bench DRFT metrics"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
    _cleanup(organization)
    program, _ = _build(organization, client, rows)
    drft_snapshots_rebuild(organization=organization, program_id=program.pk)
    user = User.objects.filter(email="pm@bench-drft-metrics.example").first() or User.objects.create_user(
        email="pm@bench-drft-metrics.example", password=None, full_name="Bench PM"
    )
    Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": Role.PM})
    technicians = DrftSnapshot.objects.filter(organization=organization, dimension="technician", week="").count()
    wide = _queries(organization, user)
    # The same request over a tenth of the technicians' rows: the query count must not change.
    kept = list(
        DrftSnapshot.objects.filter(organization=organization, dimension="technician", week="")
        .order_by("key")
        .values_list("pk", flat=True)[: max(1, technicians // 10)]
    )
    hidden = DrftSnapshot.objects.filter(organization=organization, dimension="technician", week="").exclude(
        pk__in=kept
    )
    hidden.update(week="0000-W00")  # out of the all-time rows for the count, restored below
    narrow = _queries(organization, user)
    DrftSnapshot.objects.filter(organization=organization, week="0000-W00").update(week="")
    session_key = visits._session(user, organization)

    port = visits._free_port()
    results: dict[str, list] = {"product": [], "bare": []}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-drft-metrics-") as settings_dir:
        Path(settings_dir, "bench_visits_server.py").write_text(visits.SERVER_SETTINGS)
        Path(settings_dir, "bench_visits_urls.py").write_text(BARE_URLS)
        server = visits._start_server(port, settings_dir)
        try:
            for path in (PRODUCT_PATH, BARE_PATH):  # warm both
                _load(port, session_key, SLUG, path, 2)
            for _ in range(size.runs):  # interleaved: the endpoint, then its ceiling
                for key, path in (("product", PRODUCT_PATH), ("bare", BARE_PATH)):
                    samples, elapsed, run_errors = _load(port, session_key, SLUG, path, requests)
                    results[key].append((samples, elapsed))
                    errors.extend(run_errors)
            if errors:
                print(f"server log:\n{visits._log_tail(server)}", file=sys.stderr)
        finally:
            visits._stop(server)
    _cleanup(organization)
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")

    def p95s(key: str) -> list[float]:
        return [percentile(samples, 0.95) for samples, _ in results[key]]

    def pooled(key: str) -> list[float]:
        return [value for samples, _ in results[key] for value in samples]

    def rates(key: str) -> list[float]:
        return [len(samples) / elapsed for samples, elapsed in results[key]]

    p95 = percentile(pooled("product"), 0.95)
    server = f"gunicorn {visits.WORKERS}×{visits.THREADS} gthread; {CLIENTS} clients × {requests} requests per run"
    fixed = "fixed" if wide == narrow else "NOT FIXED"
    return [
        Row(NAME, f"DRFT by technician ({technicians} rows), {CLIENTS} clients, p95", "ms", p95s("product"),
            "bare DRF read of the same snapshots", p95s("bare"), lower_is_better=True,
            latency=latencies(pooled("product")), ceiling_latency=latencies(pooled("bare")),
            note=f"target p95 ≤ {P95_TARGET_MS:.0f} ms: {p95:.0f} ms {'ok' if p95 <= P95_TARGET_MS else 'MISSED'}; "
            f"{wide} queries ({narrow} for a tenth of the rows) {fixed}; {rows:,} facts"),
        Row(NAME, f"DRFT by technician, {CLIENTS} clients, throughput", "req/s", rates("product"),
            "bare DRF read of the same snapshots", rates("bare"), note=server),
    ]  # fmt: skip
