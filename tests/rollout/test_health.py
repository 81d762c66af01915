from datetime import timedelta

from django.utils import timezone

from rollout.models import Heartbeat
from rollout.tasks import heartbeat_record_task


def test_health_reports_database_broker_and_a_stale_worker(client, db):
    # given no worker has ever run
    # when
    response = client.get("/healthz")
    # then the core is up, the worker unknown
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False
    assert body["status"] == "degraded"


def test_health_is_ok_after_a_heartbeat(client, db):
    heartbeat_record_task.delay()
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["age_seconds"] < 5


def test_an_old_heartbeat_is_stale(client, db):
    Heartbeat.objects.create(name="worker", seen_at=timezone.now() - timedelta(minutes=10))
    assert client.get("/healthz").json()["checks"]["worker"]["ok"] is False
