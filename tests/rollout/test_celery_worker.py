"""A real Celery worker process, on the configured broker (Redis in CI), runs what the app enqueues on commit."""

import time

import pytest
from django.db import transaction

from rollout.choices import Role
from rollout.services import invitation_create
from rollout.tenancy import Access
from tests.workers import Workers, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    """Start `celery worker` on a private queue; stop it afterwards."""
    with Workers(tmp_path) as workers:
        workers.start()
        yield tmp_path


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
