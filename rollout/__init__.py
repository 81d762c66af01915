"""Tutti's platform core: settings, tenancy, auth, API base classes, the Celery app and the UI shell."""

from rollout.celery import app as celery_app

__all__ = ["celery_app"]
