"""Background work of the core. Tasks take ids, are idempotent and bounded in time."""

import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from rollout.models import Heartbeat, Invitation
from rollout.notices import MAIL_TASK_OPTIONS, mail


@shared_task(name="rollout.heartbeat_record", soft_time_limit=10, time_limit=20, ignore_result=True)
def heartbeat_record_task() -> None:
    """Prove that beat schedules and a worker runs: /healthz reads the time written here."""
    Heartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now()})


@shared_task(
    name="rollout.job_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=540,
    time_limit=600,
    ignore_result=True,
)
def job_run_task(self, *, organization_id: int, job_id: int) -> None:
    """Work on a durable job for a while, then enqueue the continuation. The delivery's task id is its claim
    token: a redelivered message (worker killed) takes back its own claims at once. Safe to run twice."""
    from rollout import jobs

    token = self.request.id or uuid.uuid4().hex
    if jobs.job_run(organization_id=organization_id, job_id=job_id, token=token):
        job_run_task.delay(organization_id=organization_id, job_id=job_id)


@shared_task(name="rollout.jobs_sweep", acks_late=True, soft_time_limit=60, time_limit=120, ignore_result=True)
def jobs_sweep_task() -> dict:
    """Re-queue (or fail, with a reason) durable jobs stuck past their time limit, and run the apps'
    sweepers (packets stuck rendering). A beat entry runs it every minute; running it twice is harmless."""
    from rollout import jobs

    report = jobs.jobs_sweep()
    return {"requeued": report.requeued, "failed": report.failed, **report.sweepers}


@shared_task(name="rollout.event_relay", acks_late=True, soft_time_limit=60, time_limit=120, ignore_result=True)
def event_relay_task(*, event_ids: list[int] = (), event_id: int | None = None) -> int:
    """Hand committed events to their consumers (inbox, e-mail, webhooks) in one batch: `event_ids`, or one
    `event_id`. Safe to run twice. Returns how many this run relayed."""
    from rollout import events

    return len(events.events_relay([*event_ids, *([event_id] if event_id is not None else [])]))


@shared_task(name="rollout.events_sweep", acks_late=True, soft_time_limit=240, time_limit=300, ignore_result=True)
def events_sweep_task() -> int:
    """Relay events whose on-commit relay never ran (broker away, worker killed). A beat entry runs it every
    minute; running it twice is harmless."""
    from rollout import events

    return events.events_sweep()


@shared_task(name="rollout.invitation_send", **MAIL_TASK_OPTIONS)
def invitation_send_task(*, organization_id: int, invitation_id: int, token: str) -> None:
    """E-mail an invitation link. Does nothing for an invitation that is no longer pending."""
    invitation = (
        Invitation.objects.for_organization(organization_id)
        .select_related("organization", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return
    context = {
        "invitation": invitation,
        "accept_url": f"{settings.TUTTI_BASE_URL}/invitations/{token}/",
    }
    mail(
        subject=f"You are invited to {invitation.organization.name} on Tutti",
        template="emails/invitation.txt",
        context=context,
        to=invitation.email,
    )


@shared_task(name="rollout.password_reset_send", **MAIL_TASK_OPTIONS)
def password_reset_send_task(*, request_key: str, email: str, domain: str, use_https: bool) -> None:
    """E-mail a password reset link to the active account with this e-mail, if there is one.

    Runs in the background so that the page answers alike whether the account exists or not. Sends once per
    request_key (a redelivery does nothing); a failed send releases the mark for the retry."""
    from rollout.forms import TuttiPasswordResetForm

    mark = f"notice-sent:password-reset:{request_key}"
    if not cache.add(mark, 1, timeout=24 * 3600):
        return
    try:
        form = TuttiPasswordResetForm(data={"email": email})
        if form.is_valid():
            form.save(domain_override=domain, use_https=use_https)
    except Exception:
        cache.delete(mark)
        raise
