"""Django settings for the benchmarks: the base settings on a database of their own.

The database is BENCH_DATABASE_URL (default postgres://tutti_app@127.0.0.1:5432/tutti_bench), never
DATABASE_URL, so a benchmark cannot touch development data; files go under var/bench/. As in production (and
.ci/run), two roles: BENCH_MIGRATION_DATABASE_URL's (default tutti_owner on the same database) creates and migrates
the database, granting row access to the application role; the benchmarks then connect as the application role —
an ordinary one, not superuser, not owner — so row-level security and its cost are in every figure.
"""

import os
from pathlib import Path

os.environ.setdefault("TUTTI_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench"))

import dj_database_url

from rollout.settings.base import *  # noqa: F403
from rollout.settings.base import VAR_DIR

DEFAULT_BENCH_DATABASE_URL = "postgres://tutti_app@127.0.0.1:5432/tutti_bench"
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
DATABASES = {"default": dj_database_url.parse(BENCH_DATABASE_URL, conn_max_age=0)}
_OWNER = dj_database_url.parse(BENCH_DATABASE_URL)
_OWNER["USER"] = "tutti_owner"
BENCH_MIGRATION_DATABASE_URL = os.environ.get(
    "BENCH_MIGRATION_DATABASE_URL",
    f"postgres://tutti_owner@{_OWNER['HOST'] or '127.0.0.1'}:{_OWNER['PORT'] or 5432}/{_OWNER['NAME']}",
)
MIGRATION_DATABASE_URL = BENCH_MIGRATION_DATABASE_URL
TUTTI_DB_APP_ROLE = os.environ.get("TUTTI_DB_APP_ROLE") or DATABASES["default"]["USER"]
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
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # notices are not printed into the table
