"""Template helpers of the programs pages: safe Markdown (rollout.markdown), status badges."""

from __future__ import annotations

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from programs.serials import serial_example as _serial_example
from rollout.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    return mark_safe(render_markdown(text))  # sanitized by nh3 in render_markdown


STATUS_TONES = {
    "planning": ("off", "pencil-square"),
    "pilot": ("warn", "flag"),
    "active": ("ok", "play-circle-fill"),
    "closing": ("warn", "hourglass-split"),
    "closed": ("off", "lock-fill"),
    "draft": ("warn", "pencil"),
    "approved": ("ok", "patch-check-fill"),
    "pending": ("warn", "hourglass-split"),
    "rejected": ("off", "x-circle"),
    "inactive": ("off", "slash-circle"),
}


@register.simple_tag
def status_badge(value: str, label: str):
    tone, icon = STATUS_TONES.get(value, ("secondary", "circle"))
    return format_html(
        '<span class="status status-{}"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>', tone, icon, label
    )


@register.filter
def field_label(name: str) -> str:
    """A task or material field's human name, for the diff ("estimated_minutes" → "estimated minutes")."""
    from programs.models import SowMaterial, SowTask

    for model in (SowTask, SowMaterial):
        try:
            return model._meta.get_field(name).verbose_name
        except FieldDoesNotExist:
            continue
    return name.replace("_", " ")


@register.filter
def serial_example(pattern: str) -> str:
    """A serial matching the rule, for people: `^SCO-[0-9]{6}$` → SCO-123456."""
    return _serial_example(pattern)
