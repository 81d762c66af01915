"""GET /healthz: database, broker and the scheduler→worker heartbeat, for load balancers and humans."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rollout.celery import app as celery_app
from rollout.models import Heartbeat


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


@never_cache
@require_GET
def healthz(request):
    """200 when the database and broker answer; `status` is "degraded" if the worker heartbeat is stale."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    checks["worker"] = _check_worker() if checks["database"]["ok"] else {"ok": False}
    core_ok = checks["database"]["ok"] and checks["broker"]["ok"]
    status = "ok" if core_ok and checks["worker"]["ok"] else ("degraded" if core_ok else "down")
    return JsonResponse({"status": status, "checks": checks}, status=200 if core_ok else 503)
