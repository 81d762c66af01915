"""E-mail sent by background tasks: the options every mailing task shares, and sending a notice at most once.

A task may be delivered twice (acks late, a worker restarted) or retried after a network error; `mail_once`
takes a mark in the cache before sending and releases it if sending fails, so the same notice is never sent twice
and a failed one is sent on the retry."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

SENT_MARK_SECONDS = 7 * 24 * 3600
# Celery options of every task that e-mails someone: retried with backoff on network errors, bounded in time.
MAIL_TASK_OPTIONS = {
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
    "soft_time_limit": 30,
    "time_limit": 60,
}


def mail(*, subject: str, template: str, context: dict, to: str, html_template: str | None = None) -> None:
    """Send one e-mail: the text body rendered from `template`, and an HTML alternative from `html_template`."""
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(template, context), from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    if html_template:
        message.attach_alternative(render_to_string(html_template, context), "text/html")
    message.send()


def mail_once(
    mark: str, *, subject: str, template: str, context: dict, to: str, html_template: str | None = None
) -> bool:
    """Send the e-mail unless one was already sent under `mark` (make it unique to the notice: object, its
    creation time — ids can be reused — version, event, recipient). Returns whether it was sent now."""
    if not cache.add(f"notice-sent:{mark}", 1, timeout=SENT_MARK_SECONDS):
        return False
    try:
        mail(subject=subject, template=template, context=context, to=to, html_template=html_template)
    except Exception:
        cache.delete(f"notice-sent:{mark}")
        raise
    return True
