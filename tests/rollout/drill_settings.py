"""Settings of the Redis-outage drill's worker and beat (tests/rollout/test_drill_redis_outage.py): the base settings
with the minute sweeps every 5 s, so that the drill fits in about a minute and a half. Nothing else differs."""

from datetime import timedelta

from rollout.settings.base import *  # noqa: F403
from rollout.settings.base import CELERY_BEAT_SCHEDULE as BASE_SCHEDULE

SWEEPS = (
    "worker-heartbeat",
    "events-sweep",
    "escalations-sweep",
    "webhooks-deliveries-sweep",
    "notifications-email-sweep",
)
CELERY_BEAT_SCHEDULE = {name: {**BASE_SCHEDULE[name], "schedule": timedelta(seconds=5)} for name in SWEEPS}
