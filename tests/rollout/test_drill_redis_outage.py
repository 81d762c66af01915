"""Fault drill: Redis unreachable for 30 s (TUTTI_DRILL_REDIS_OUTAGE_SECONDS) → everything due is done once it returns.

A private redis-server (never the shared one) is the broker and cache of a real worker and a real beat (the sweeps
every 5 s: tests/rollout/drill_settings.py) and of this process's publishing. It is shut down; while it is away,
visits are cancelled through the service (events for the technician's inbox and e-mail, and for a webhook endpoint
subscribed to everything) and ten visits' check-ins fall due. It comes back empty on the same port (no persistence:
whatever was queued before is gone too). Then every late visit is escalated once, every event relayed once, every
notice written and e-mailed once, and every event delivered to the webhook receiver — a duplicate only with the same
webhook-id and body."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db.models import Max
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation
from notifications.models import Notification
from rollout.celery import app as celery_app
from rollout.models import Event
from tests.escalations.builders import many_visits, world_of
from tests.webhooks.builders import Receiver, endpoint_for
from tests.workers import Workers, wait_for
from tests.workorders.builders.visits import VISIT_DAY, book, ready_work_order
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from workorders.visits.services import planning

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("TUTTI_DRILL_REDIS_OUTAGE_SECONDS", "30"))
LATE_VISITS = 10
CANCELLED = 5
DRILL_SETTINGS = "tests.rollout.drill_settings"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A throwaway redis-server on 127.0.0.1:`port`, no persistence; stop() and start() again on the same port."""

    def __init__(self, folder: Path):
        self.port, self.folder, self.process = free_port(), folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.folder / "redis.log", "a") as log:
            self.process = subprocess.Popen(command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)
        assert wait_for(self.answers, timeout=20, interval=0.1), "the private redis-server did not start"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@contextlib.contextmanager
def publishing_to(url: str):
    """This process's tasks go to the private Redis (the app's connection pool is dropped on the way in and out)."""
    previous = celery_app.conf.broker_url
    celery_app.close()
    celery_app.conf.update(CELERY_BROKER_URL=url)  # the app reads Django's CELERY_-namespaced names
    try:
        yield
    finally:
        celery_app.close()
        celery_app.conf.update(CELERY_BROKER_URL=previous)


def start_beat(workers: Workers, folder: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "rollout",
        "beat",
        "--schedule",
        str(folder / "beat-schedule"),
        "--max-interval",
        "1",
        "--loglevel=INFO",
    ]
    log = open(folder / "beat.log", "a")  # noqa: SIM115 - the process keeps it; closed with the test's tmp dir
    return subprocess.Popen(
        command,
        cwd=django_settings.BASE_DIR,
        env=workers.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def e_mails(folder: Path) -> int:
    if not folder.exists():
        return 0
    return sum(path.read_text().count("\nMessage-ID: ") for path in folder.iterdir() if path.is_file())


def test_redis_unreachable_then_back_everything_due_is_done_once(tenant, tmp_path, settings):
    settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK = settings.TUTTI_WEBHOOKS_ALLOW_HTTP = True
    # given a field world (built with tasks inline), visits booked for later, ten visits whose check-in falls due in
    # the middle of the outage, and a webhook endpoint subscribed to every event type
    world = world_of(tenant)
    weekdays = [VISIT_DAY + timedelta(days=n) for n in (0, 1, 2, 5, 6)]  # Wed, Thu, Fri, Mon, Tue
    booked = [book(world, ready_work_order(world), day=day) for day in weekdays[:CANCELLED]]
    # (their check-in due within the rule's at-risk warning: they are at risk from the first sweep)
    late = many_visits(world, LATE_VISITS, window_start=timezone.now() - timedelta(minutes=28))
    receiver = Receiver()
    endpoint = endpoint_for(tenant, receiver.url, event_types=[])
    since = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    mail_dir = tmp_path / "mail"
    redis = PrivateRedis(tmp_path)
    redis.start()
    beat = None
    env = {
        "REDIS_URL": redis.url,
        "DJANGO_SETTINGS_MODULE": DRILL_SETTINGS,
        "TUTTI_WEBHOOKS_ALLOW_LOOPBACK": "1",
        "TUTTI_WEBHOOKS_ALLOW_HTTP": "1",
    }
    try:
        with publishing_to(redis.url), Workers(tmp_path, **env) as workers:
            workers.start(pool="prefork", concurrency=2)
            beat = start_beat(workers, tmp_path)
            # the worker and beat run (the heartbeat, beat → worker, is written), the late visits are at risk, and
            # everything that follows from it is done: the system is at rest
            started = timezone.now()

            def at_rest() -> bool:
                at_risk = Escalation.objects.filter(
                    rule=RuleKey.NO_CHECK_IN, subject_id__in=[v.pk for v in late], state=EscalationState.AT_RISK
                )
                return _heartbeat_after(started) and at_risk.count() == LATE_VISITS and all_done(since, endpoint)

            assert wait_for(at_rest, timeout=60, interval=0.5), "never at rest; see var/last-worker-test.log"

            # when Redis goes away, and the late visits' check-ins fall due while it is away
            due_at = timezone.now() + timedelta(seconds=min(10.0, OUTAGE_SECONDS / 3))
            type(late[0]).objects.filter(pk__in=[v.pk for v in late]).update(checkin_due_by=due_at)
            redis.stop()
            down = time.monotonic()
            # and changes are committed while it is away (each cancellation in its own transaction, as requests)
            for visit in booked:
                planning.visit_cancel(
                    organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Store closed"
                )
            assert not redis.answers()
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down)))
            # and it comes back, empty, on the same port
            redis.start()
            back = time.monotonic()

            def done() -> bool:
                escalated = Escalation.objects.filter(
                    rule=RuleKey.NO_CHECK_IN, subject_id__in=[v.pk for v in late], state=EscalationState.OPEN
                )
                cancelled = Event.objects.filter(pk__gt=since, type="visit.cancelled")
                return escalated.count() == LATE_VISITS and cancelled.count() == CANCELLED and all_done(since, endpoint)

            assert wait_for(done, timeout=90, interval=1), "not everything was done; see var/last-worker-test.log"
            recovered_in = time.monotonic() - back
            time.sleep(3)  # let anything still queued run: a duplicate would show below
    finally:
        if beat is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(beat.pid, signal.SIGKILL)
            beat.wait(timeout=20)
        redis.stop()
        receiver.close()

    # then every late visit escalated once; every (rule, object, episode, level) once; each escalation told once
    # (a visit moved before the drill has an at-risk warning of its earlier window: another episode)
    keys = Counter(Escalation.objects.values_list("rule", "subject_id", "occurrence", "level"))
    assert max(keys.values()) == 1
    told = Counter(Event.objects.filter(type__startswith="escalation.").values_list("type", "subject_id"))
    assert max(told.values()) == 1
    # every event relayed once: one notice per (event, recipient), each immediate notice e-mailed once
    events = list(Event.objects.filter(pk__gt=since))
    notices = Notification.objects.filter(event__pk__gt=since)
    assert notices.filter(type="visit.cancelled").count() == CANCELLED
    assert max(Counter(notices.values_list("event_id", "user_id")).values()) == 1
    immediate = notices.filter(email="immediate").count()
    assert e_mails(mail_dir) == immediate
    # every event delivered to the receiver; duplicates only with the same id and body
    received = Counter(receiver.ids())
    assert {event.uid for event in events} <= set(received)
    bodies = {}
    for item in receiver.received:
        Webhook(endpoint.secret).verify(item.body, item.headers)
        assert bodies.setdefault(item.headers["webhook-id"], item.body) == item.body
    duplicates = sum(count - 1 for count in received.values())
    print(
        f"\nredis outage drill: Redis away {OUTAGE_SECONDS:.0f} s (restarted empty); {len(events)} events "
        f"({CANCELLED} committed during the outage, {sum(told.values())} escalation events), "
        f"{LATE_VISITS} check-ins fell due during it: all escalated once; {notices.count()} notices, "
        f"{immediate} e-mailed once each; {len(received)} webhooks delivered ({duplicates} duplicates, same id and "
        f"body); everything done {recovered_in:.0f} s after Redis returned"
    )


def all_done(since: int, endpoint) -> bool:
    """Every event after `since` relayed and delivered to the endpoint, every immediate notice e-mailed."""
    events = Event.objects.filter(pk__gt=since)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint, event__pk__gt=since)
    return (
        not events.filter(relayed_at__isnull=True).exists()
        and deliveries.count() == events.count()
        and not deliveries.exclude(status=DeliveryStatus.SUCCEEDED).exists()
        and not Notification.objects.filter(email="immediate", emailed_at__isnull=True).exists()
    )


def _heartbeat_after(moment) -> bool:
    from rollout.models import Heartbeat

    return Heartbeat.objects.filter(name="worker", seen_at__gte=moment).exists()
