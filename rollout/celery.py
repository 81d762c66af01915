"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings.development")

app = Celery("tutti")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
