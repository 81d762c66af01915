"""A real Celery worker process, on the configured broker (Redis in CI), runs what the app enqueues on commit."""

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from rollout.celery import app as celery_app
from rollout.choices import Role
from rollout.services import invitation_create
from rollout.tenancy import Access
from tests.rollout.databases import database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    """Start `celery worker` on a private queue; stop it afterwards."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rollout.settings.base",
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    celery = Path(sys.executable).with_name("celery")
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            str(celery),
            "-A",
            "rollout",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # The app reads Django's CELERY_-namespaced settings; override them under those names.
    previous = {
        "CELERY_TASK_ALWAYS_EAGER": celery_app.conf.task_always_eager,
        "CELERY_TASK_DEFAULT_QUEUE": celery_app.conf.task_default_queue,
    }
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE=queue)
    try:
        yield tmp_path
    finally:
        celery_app.conf.update(previous)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.copy(tmp_path / "worker.log", settings.VAR_DIR / "last-worker-test.log")


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_an_invitation_enqueued_on_commit_is_sent_by_a_real_worker(tenant, worker):
    # given an admin
    admin = tenant.members[Role.ADMIN]
    access = Access(organization=tenant.organization, role=Role.ADMIN, user=admin.user, membership=admin)
    mail_dir = worker / "mail"
    # when they invite someone (the e-mail task is enqueued only when the transaction commits)
    with transaction.atomic():
        issued = invitation_create(
            organization=tenant.organization, actor=access, email="newtech@x.example", role=Role.TECHNICIAN
        )
        time.sleep(1)
        assert not mail_dir.exists(), "the task must not be sent before the transaction commits"
    # then the worker process sends the e-mail with the accept link
    # (the file backend creates the file, then writes it: wait for its content, not just the file)
    assert wait_for(lambda: mail_dir.exists() and any(path.stat().st_size for path in mail_dir.iterdir())), (
        "worker did not run the task; see var/last-worker-test.log"
    )
    message = next(mail_dir.iterdir()).read_text()
    assert "newtech@x.example" in message
    assert f"/invitations/{issued.token}/" in message


def test_a_rolled_back_transaction_enqueues_nothing(tenant, worker):
    admin = tenant.members[Role.ADMIN]
    access = Access(organization=tenant.organization, role=Role.ADMIN, user=admin.user, membership=admin)
    mail_dir = worker / "mail"
    with pytest.raises(RuntimeError), transaction.atomic():
        invitation_create(organization=tenant.organization, actor=access, email="ghost@x.example", role=Role.PM)
        raise RuntimeError("abort")
    time.sleep(3)
    assert not mail_dir.exists()
