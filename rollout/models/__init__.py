"""The platform core's models: users, organizations and their members, tokens, audit, plumbing."""

from rollout.models.audit import AuditEvent
from rollout.models.events import Event
from rollout.models.heartbeat import Heartbeat
from rollout.models.idempotency import IdempotencyRecord
from rollout.models.invitations import Invitation
from rollout.models.jobs import Job, JobItem, JobItemStatus, JobStatus
from rollout.models.organizations import Client, Membership, Organization
from rollout.models.tokens import ApiToken
from rollout.models.users import User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Client",
    "Event",
    "Heartbeat",
    "IdempotencyRecord",
    "Invitation",
    "Job",
    "JobItem",
    "JobItemStatus",
    "JobStatus",
    "Membership",
    "Organization",
    "User",
]
