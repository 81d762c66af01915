"""Template helpers of the technicians pages: expiry badges (certifications, insurance), weekdays in words."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import timezone
from django.utils.html import format_html

from technicians.choices import ExpiryState
from technicians.models import expiry_state
from technicians.selectors import describe_days

register = template.Library()

# state → (CSS classes, icon, words); "expired" is red, "expiring" amber, so both stand out in a list.
BADGES = {
    ExpiryState.VALID: ("status status-ok", "check-circle-fill", "Valid until {}"),
    ExpiryState.EXPIRING: ("status status-warn fw-semibold", "exclamation-triangle-fill", "Expires {}"),
    ExpiryState.EXPIRED: ("status text-danger fw-semibold", "x-octagon-fill", "Expired {}"),
    ExpiryState.NO_EXPIRY: ("status status-off", "infinity", "Does not expire"),
    ExpiryState.MISSING: ("status text-danger fw-semibold", "question-octagon-fill", "Not on file"),
}


def expiry_badge_html(expires_on: date | None, *, missing_means: str = ExpiryState.NO_EXPIRY, on: date | None = None):
    """A coloured badge saying where a dated credential stands today (expired and expiring stand out)."""
    state = expiry_state(expires_on, on=on or timezone.localdate(), missing_means=missing_means)
    classes, icon, words = BADGES[state]
    text = words.format(f"{expires_on:%b %-d, %Y}") if expires_on else words
    return format_html(
        '<span class="{}" data-expiry="{}"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>',
        classes,
        state,
        icon,
        text,
    )


@register.simple_tag
def certification_badge(certification):
    return expiry_badge_html(certification.expires_on)


@register.simple_tag
def insurance_badge(vendor):
    return expiry_badge_html(vendor.insurance_expires_on, missing_means=ExpiryState.MISSING)


@register.filter
def weekdays(days) -> str:
    return describe_days(days or [])
