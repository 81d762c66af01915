"""GET /healthz: database, broker, the scheduler→worker heartbeat, the queue (depth, oldest waiting task) and
durable jobs stuck past their time limit, for load balancers and humans."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rollout.celery import app as celery_app
from rollout.jobs import jobs_stuck_count
from rollout.models import Heartbeat, Job, JobStatus
from rollout.queues import queue_state


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "engine": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported as text
        return {"ok": False, "engine": connection.vendor, "error": str(exc)[:200]}


def _check_broker() -> dict:
    transport = celery_app.conf.broker_url.split("://", 1)[0]
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": transport}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": transport, "error": str(exc)[:200]}


def _check_worker() -> dict:
    heartbeat = Heartbeat.objects.filter(name="worker").first()
    if heartbeat is None:
        return {"ok": False, "last_heartbeat": None, "age_seconds": None}
    age = (timezone.now() - heartbeat.seen_at).total_seconds()
    return {
        "ok": age <= settings.HEARTBEAT_STALE_AFTER.total_seconds(),
        "last_heartbeat": heartbeat.seen_at.isoformat(),
        "age_seconds": round(age, 1),
    }


def _check_queue() -> dict:
    try:
        state = queue_state(celery_app)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "depth": None, "oldest_waiting_seconds": None, "error": str(exc)[:200]}
    age = state.oldest_age_seconds
    return {
        "ok": age is None or age <= settings.QUEUE_STALE_AFTER.total_seconds(),
        "depth": state.depth,
        "oldest_waiting_seconds": None if age is None else round(age, 1),
    }


def _check_jobs() -> dict:
    stuck = jobs_stuck_count()
    running = Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()
    return {"ok": stuck == 0, "open": running, "stuck": stuck}


@never_cache
@require_GET
def healthz(request):
    """200 when the database and broker answer; `status` is "degraded" if the worker heartbeat is stale, a
    task waited in the queue too long, or any job (or packet render) is stuck past its time limit."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    database_ok = checks["database"]["ok"]
    checks["worker"] = _check_worker() if database_ok else {"ok": False}
    checks["queue"] = _check_queue() if checks["broker"]["ok"] else {"ok": False}
    checks["jobs"] = _check_jobs() if database_ok else {"ok": False}
    core_ok = database_ok and checks["broker"]["ok"]
    healthy = all(check["ok"] for check in checks.values())
    status = "ok" if healthy else ("degraded" if core_ok else "down")
    return JsonResponse({"status": status, "checks": checks}, status=200 if core_ok else 503)
