"""Settings shared by every environment, driven by environment variables.

With no configuration Tutti runs on the embedded default: SQLite in WAL mode and a Celery
transport on the filesystem, so one command starts a working demo. `DATABASE_URL` and
`REDIS_URL` switch to PostgreSQL and Redis, as in production and CI.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TUTTI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# Where `make run` serves (Procfile.dev), and so, unless TUTTI_BASE_URL says otherwise, where the absolute links in
# e-mails, invitations and packet QR codes point. A bind-all address is no place to link to: those link to loopback.
TUTTI_HOST = os.environ.get("TUTTI_HOST", "127.0.0.1")
TUTTI_PORT = os.environ.get("TUTTI_PORT", "8000")


def served_base_url(host: str, port: str) -> str:
    """The http:// base URL of a server bound to host:port, as a browser on this machine would open it."""
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


TUTTI_BASE_URL = os.environ.get("TUTTI_BASE_URL") or served_base_url(TUTTI_HOST, TUTTI_PORT)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_celery_results",
    "django_htmx",
    "django_tables2",
    "axes",
    "csp",
    "rollout",
    "programs",
    "sites",
    "workorders",
    "technicians",
    "quality",
    "escalations",
    "notifications",
    "webhooks",
    "dashboards",
    "scheduling",
]

MIDDLEWARE = [
    # First: the health probe answers before host validation and the HTTPS redirect.
    "rollout.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rollout.middleware.RequestIdMiddleware",
    # Inside the request id (its answers carry one), outside everything that can answer an error page.
    "rollout.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "rollout.middleware.ApiCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rollout.middleware.SignedInNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rollout.middleware.OrganizationMiddleware",
    # Last, so that it sees the outcome of authentication attempts.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rollout.urls"
WSGI_APPLICATION = "rollout.wsgi.application"
AUTH_USER_MODEL = "rollout.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rollout.context_processors.shell",
                "rollout.context_processors.sign_in_limits",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "tutti.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# PostgreSQL roles (rollout/rls.py): the application connects with DATABASE_URL as an ordinary role, subject to
# row-level security; the schema's owner runs migrations (MIGRATION_DATABASE_URL: `make migrate`, the test suite's
# database set-up), granting TUTTI_DB_APP_ROLE row access on every table. Unset: one role does both.
MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL", "")
TUTTI_DB_APP_ROLE = os.environ.get("TUTTI_DB_APP_ROLE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

# --- Redis, cache, Celery ---------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# No task may run longer than this (a task may set a shorter limit, never a longer one: a test holds that).
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# Redis hands an unacknowledged message (its worker was SIGKILLed) to another worker after the visibility
# timeout: just above the longest time limit, so a live task is never delivered twice while it runs and a
# dead worker's task comes back minutes later, not in an hour. (Durable jobs are re-queued sooner by the
# sweep, from their own, shorter, time limits.)
CELERY_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT + 60
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }
    # Filesystem transport: a broker that needs no server, shared by web, worker and beat.
    CELERY_BROKER_URL = "filesystem://localhost//"
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }

CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The queue tasks go to (and workers read, unless told `-Q`): one name per deployment sharing a Redis.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("TUTTI_CELERY_QUEUE", "celery")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "rollout.heartbeat_record", "schedule": timedelta(seconds=30)},
    "visits-no-show-sweep": {"task": "workorders.visits_no_show_sweep", "schedule": timedelta(minutes=5)},
    "jobs-sweep": {"task": "rollout.jobs_sweep", "schedule": timedelta(minutes=1)},
    "events-sweep": {"task": "rollout.events_sweep", "schedule": timedelta(minutes=1)},
    # Nightly: recompute every DRFT fact and snapshot (repairs anything an event missed).
    "quality-drft-reconcile": {"task": "quality.drft_reconcile_sweep", "schedule": crontab(hour=2, minute=30)},
    # Hourly: accepted work whose warranty window ended closes (final DRFT).
    "quality-warranty-close": {"task": "quality.warranty_close_sweep", "schedule": crontab(minute=10)},
    # Every minute: the SLA rules of every organization (one task per organization), escalations.services.
    "escalations-sweep": {"task": "escalations.escalation_sweep", "schedule": timedelta(minutes=1)},
    "notifications-email-sweep": {"task": "notifications.notifications_email_sweep", "schedule": timedelta(minutes=5)},
    "notifications-digests": {"task": "notifications.notification_digests", "schedule": crontab(minute=5)},
    # Webhook deliveries whose next attempt is due (retries) or whose worker died mid-send (lease expired).
    "webhooks-deliveries-sweep": {"task": "webhooks.deliveries_sweep", "schedule": timedelta(minutes=1)},
    "quality-sampling-auto-accept": {"task": "quality.sampling_auto_accept_sweep", "schedule": crontab(minute="*/10")},
}
HEARTBEAT_STALE_AFTER = timedelta(seconds=120)
# Durable jobs (rollout.jobs): a runner task works this long before it hands over to a continuation; the
# sweep re-queues a job silent for its time limit plus the grace, and fails it after that many re-queues
# without progress. /healthz is degraded when the oldest waiting task waited longer than QUEUE_STALE_AFTER.
JOB_RUN_BUDGET_SECONDS = 60
JOB_SWEEP_GRACE_SECONDS = 30
JOB_MAX_REQUEUES = 5
JOB_SWEEP_BATCH = 200
QUEUE_STALE_AFTER = timedelta(minutes=5)

# --- Auth ---------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_VALID_FOR = timedelta(days=7)

# The client address comes from REMOTE_ADDR, or from X-Forwarded-For only as far as these proxies vouch for it
# (addresses or CIDR networks, e.g. "10.0.0.0/8"): see rollout/client_address.py.
TUTTI_TRUSTED_PROXIES = env_list("TUTTI_TRUSTED_PROXIES", "")

# Brute-force protection (rollout/sign_in.py; the README states these numbers and a test holds it): an account is
# locked for one client address after 5 failures from it, and for every address after 20 failures in all, for
# 15 minutes. Nothing is keyed on the address alone, so neither typos nor made-up e-mails lock out an office.
AXES_FAILURE_LIMIT = 5
SIGN_IN_FAILURES_PER_ACCOUNT = 20
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "rollout.sign_in.SignInLockoutHandler"
AXES_CLIENT_IP_CALLABLE = "rollout.sign_in.sign_in_address"
AXES_USERNAME_CALLABLE = "rollout.sign_in.sign_in_username"
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Password reset requests per client address and per e-mail asked for, per window.
PASSWORD_RESET_PER_ADDRESS = 10
PASSWORD_RESET_PER_ACCOUNT = 3
PASSWORD_RESET_THROTTLE_WINDOW = timedelta(hours=1)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

# Content Security Policy on every response (django-csp): scripts only from our own origin — no inline script, no
# eval; a page that needs an inline script gives it `nonce="{{ request.csp_nonce }}"`. Inline styles stay allowed
# (Bootstrap, htmx and Leaflet set style attributes; styles cannot run code). Map tiles come from OpenStreetMap.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", "https://tile.openstreetmap.org"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Oversized requests are refused before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Multipart uploads (site imports, visit photos) stream to temporary files; this caps their total size.
TUTTI_MAX_UPLOAD_BYTES = int(os.environ.get("TUTTI_MAX_UPLOAD_BYTES", 60 * 1024 * 1024))

# --- Webhooks (webhooks/) ---------------------------------------------------------------------
# The SSRF guard refuses every non-public address; development and tests may allow loopback (127/8, ::1) and
# plain http for a receiver on this machine. Never in production.
TUTTI_WEBHOOKS_ALLOW_LOOPBACK = env_bool("TUTTI_WEBHOOKS_ALLOW_LOOPBACK", False)
TUTTI_WEBHOOKS_ALLOW_HTTP = env_bool("TUTTI_WEBHOOKS_ALLOW_HTTP", False)
# Seconds to connect, and to wait for the receiver's answer (a slow receiver never holds a worker longer).
TUTTI_WEBHOOKS_CONNECT_TIMEOUT = float(os.environ.get("TUTTI_WEBHOOKS_CONNECT_TIMEOUT", "5"))
TUTTI_WEBHOOKS_READ_TIMEOUT = float(os.environ.get("TUTTI_WEBHOOKS_READ_TIMEOUT", "10"))
# An endpoint is disabled after this many deliveries in a row gave up (dead), or after failing for this many days.
TUTTI_WEBHOOKS_DISABLE_AFTER_DEAD = int(os.environ.get("TUTTI_WEBHOOKS_DISABLE_AFTER_DEAD", "20"))
TUTTI_WEBHOOKS_DISABLE_AFTER_DAYS = int(os.environ.get("TUTTI_WEBHOOKS_DISABLE_AFTER_DAYS", "5"))
# Certificate authorities a receiver's TLS certificate must chain to: empty, the system's (tests use their own).
TUTTI_WEBHOOKS_CA_BUNDLE = os.environ.get("TUTTI_WEBHOOKS_CA_BUNDLE", "")
# After a secret's rotation, deliveries carry a second signature with the old secret for this long.
TUTTI_WEBHOOKS_SECRET_OVERLAP_HOURS = int(os.environ.get("TUTTI_WEBHOOKS_SECRET_OVERLAP_HOURS", "24"))
# A worker's claim on a delivery: above the send task's hard time limit (45 s); a dead worker's claim expires after it.
TUTTI_WEBHOOKS_LEASE_SECONDS = int(os.environ.get("TUTTI_WEBHOOKS_LEASE_SECONDS", "90"))
# Photos and signatures decoded at once per process (each up to ~70 MB at peak: `python -m bench photos`).
TUTTI_IMAGE_WORKERS = int(os.environ.get("TUTTI_IMAGE_WORKERS", "2"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "emails"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tutti <no-reply@tutti.example>")

# --- I18N, time -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages come from the npm registry at set-up time (package.json); never copied in.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Private files (packets, photos, exports) live outside any public URL; views stream them after
# an authorization check.
MEDIA_ROOT = Path(os.environ.get("TUTTI_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-public/"

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rollout.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rollout.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "rollout.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rollout.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rollout.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": "1200/min", "anon": "60/min"},
    "DEFAULT_SCHEMA_CLASS": "rollout.api.schema.TuttiAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "rollout.api.errors.TuttiExceptionHandler",
    # A crash answers 500 in the error shape under DEBUG too (`make run`); Django still logs the traceback.
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "429"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tutti API",
    "DESCRIPTION": (
        "Multi-site technology rollout program management. Authenticate with "
        "`Authorization: Bearer <token>` (an organization API token) or a browser session. "
        "Every resource belongs to the token's organization; another organization's object reads "
        "as 404. POST requests accept an `Idempotency-Key` header: the same key and body replay "
        "the first response; the same key with another body is refused with 422."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The webhooks section: one entry per event type of the catalogue (rollout.events), built when the schema is.
    "WEBHOOKS": "webhooks.schema.CATALOGUE_WEBHOOKS",  # as `x-webhooks` in this 3.0 schema (webhooks.schema)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "rollout.choices.Role.choices",
        "TokenRoleEnum": "rollout.choices.TOKEN_ROLE_CHOICES",
        "TrainingRoleEnum": "technicians.choices.TRAINING_ROLE_CHOICES",
        "TrainingStateEnum": "technicians.choices.TrainingState.choices",
        "ProgramStatusEnum": "programs.choices.ProgramStatus.choices",
        "SowStatusEnum": "programs.choices.SowStatus.choices",
        "SiteStatusEnum": "sites.choices.SiteStatus.choices",
        "SiteImportStatusEnum": "sites.choices.ImportStatus.choices",
        "ProgramAttributeTypeEnum": "programs.choices.AttributeType.choices",
        "SiteVariationKindEnum": "programs.choices.VariationKind.choices",
        "SiteVariationStatusEnum": "programs.choices.VariationStatus.choices",
        "WorkOrderStatusEnum": "workorders.choices.WorkOrderStatus.choices",
        "ShipmentStatusEnum": "workorders.choices.ShipmentStatus.choices",
        "ReadinessGateEnum": "workorders.choices.Gate.choices",
        "PacketStatusEnum": "workorders.choices.PacketStatus.choices",
        "PacketJobStatusEnum": "workorders.choices.PacketJobStatus.choices",
        "VisitStatusEnum": "workorders.choices.VisitStatus.choices",
        "VisitStateEnum": "workorders.choices.VisitState.choices",
        "VisitOutcomeEnum": "workorders.choices.VisitOutcome.choices",
        "TaskResultStatusEnum": "workorders.choices.TaskResultStatus.choices",
        "LocationStatusEnum": "workorders.choices.LocationStatus.choices",
        "IncompleteReasonEnum": "workorders.choices.IncompleteReason.choices",
        "SeverityEnum": "quality.choices.Severity.choices",
        "RootCauseEnum": "quality.choices.RootCause.choices",
        "ReviewDecisionEnum": "quality.choices.ReviewDecision.choices",
        "ExclusionCauseEnum": "quality.choices.ExclusionCause.choices",
        "EscalationStateEnum": "escalations.choices.EscalationState.choices",
        "LadderRoleEnum": "escalations.choices.LadderRole.choices",
        "SlaRuleKeyEnum": "escalations.choices.RuleKey.choices",
        "WebhookDeliveryStatusEnum": "webhooks.choices.DeliveryStatus.choices",
        "BadRequestTypeEnum": "rollout.api.errors.BAD_REQUEST_TYPES",
        "ClientErrorTypeEnum": "rollout.api.errors.CLIENT_ERROR_TYPES",
        "ServerErrorTypeEnum": "rollout.api.errors.SERVER_ERROR_TYPES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "webhooks.schema.webhooks_for_openapi_30",
    ],
}

# Every record carries the request id and organization (rollout.logs), in the web and in the worker; LOG_FORMAT=json
# (the production default) writes one JSON object per line.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "rollout.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(organization_id)s] %(message)s"},
        "json": {"()": "rollout.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
# The worker logs through LOGGING too (the same fields), instead of Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
