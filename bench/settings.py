"""Django settings for the benchmarks: the base settings on a database of their own.

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tutti_bench), never
DATABASE_URL, so a benchmark cannot touch development data; files go under var/bench/.
"""

import os
from pathlib import Path

os.environ.setdefault("TUTTI_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench"))

import dj_database_url

from rollout.settings.base import *  # noqa: F403
from rollout.settings.base import VAR_DIR

DEFAULT_BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tutti_bench"
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
DATABASES = {"default": dj_database_url.parse(BENCH_DATABASE_URL, conn_max_age=0)}
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
DEBUG = False  # no query log: it would cost memory and time
MEDIA_ROOT = VAR_DIR / "media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Background tasks run inline, so a timing covers the whole job a worker would do.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": "WARNING"},
}
