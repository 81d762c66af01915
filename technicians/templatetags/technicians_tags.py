"""Template helpers of the technicians pages: expiry badges (certifications, insurance), weekdays in words."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import timezone
from django.utils.html import format_html

from technicians.choices import ExpiryState, TrainingState
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


# Training matrix cells: state → (CSS classes, icon, words). "Not for this role" stays quiet.
TRAINING_CELLS = {
    TrainingState.VALID: ("status status-ok", "check-circle-fill", "Valid until {}"),
    TrainingState.EXPIRING: ("status status-warn fw-semibold", "exclamation-triangle-fill", "Expires {}"),
    TrainingState.EXPIRED: ("status text-danger fw-semibold", "x-octagon-fill", "Expired {}"),
    TrainingState.NOT_YET_VALID: ("status status-warn", "hourglass-split", "From {}"),
    TrainingState.MISSING: ("status text-danger", "dash-circle", "Not done"),
    TrainingState.NOT_FOR_ROLE: ("status status-off", "", "—"),
}


def _training_html(state: str, record):
    classes, icon, words = TRAINING_CELLS[state]
    if record is None:
        text = words
    elif state == TrainingState.NOT_YET_VALID:
        text = words.format(f"{record.completed_on:%b %-d, %Y}")
    elif record.expires_on is None:
        text = "Valid, no expiry"
    else:
        text = words.format(f"{record.expires_on:%b %-d, %Y}")
    if not icon:
        quiet = '<span class="{}" data-training="{}" title="Not for this role">{}</span>'
        return format_html(quiet, classes, state, text)
    return format_html(
        '<span class="{}" data-training="{}"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>',
        classes,
        state,
        icon,
        text,
    )


@register.simple_tag
def training_cell(cell):
    """One cell of the training matrix: the state in colour and words, with the date that matters."""
    return _training_html(cell.state, cell.record)


@register.simple_tag
def training_badge(record, on=None):
    """Where one training record stands today (or on `on`)."""
    return _training_html(record.state(on or timezone.localdate()), record)
