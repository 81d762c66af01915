"""Background work of the core. Tasks take ids, are idempotent and bounded in time."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from rollout.models import Heartbeat, Invitation
from rollout.notices import MAIL_TASK_OPTIONS, mail


@shared_task(name="rollout.heartbeat_record", soft_time_limit=10, time_limit=20, ignore_result=True)
def heartbeat_record_task() -> None:
    """Prove that beat schedules and a worker runs: /healthz reads the time written here."""
    Heartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now()})


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
