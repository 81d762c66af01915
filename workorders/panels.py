"""Panels a higher app contributes to the work-order and visit detail pages (e.g. the escalations timeline).

workorders never names an app above it: the app registers a panel from its `AppConfig.ready()` with
`panel_register(key=..., subject="work_order" | "visit", template=..., context=fn(access, obj) -> dict | None)`;
the detail page renders every panel whose context is not None, in registration order. A context function reads
through the access (`visible_to`), so a client viewer sees only what they may."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rollout.tenancy import Access

SUBJECTS = ("work_order", "visit")


@dataclass(frozen=True)
class Panel:
    key: str
    subject: str
    template: str
    context: Callable[[Access, object], dict | None]


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: dict


_panels: dict[str, Panel] = {}


def panel_register(*, key: str, subject: str, template: str, context: Callable[[Access, object], dict | None]) -> None:
    """Add a panel to the detail page of `subject`; registering `key` again replaces it."""
    if subject not in SUBJECTS:
        raise ValueError(f"subject must be one of {SUBJECTS}")
    _panels[key] = Panel(key=key, subject=subject, template=template, context=context)


def panels_for(subject: str, access: Access, obj) -> list[RenderedPanel]:
    """The panels of one detail page, with their contexts (a panel answering None is left out)."""
    rendered = []
    for panel in _panels.values():
        if panel.subject != subject:
            continue
        context = panel.context(access, obj)
        if context is not None:
            rendered.append(RenderedPanel(key=panel.key, template=panel.template, context=context))
    return rendered
