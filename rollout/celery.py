"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings.development")

app = Celery("tutti")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_queue_folders(sender, **kwargs):
    """The filesystem transport (embedded default, no broker server) needs its folders to exist."""
    from pathlib import Path

    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
