"""Packet rendering: a compiled snapshot as a printable PDF (WeasyPrint) and as a phone-friendly HTML page.

Both read only the snapshot (plus the visit URL, version and visit window, which are not content), so a
packet version always renders the same. Instructions are Markdown, rendered and sanitized exactly as the
SOW pages do (`rollout.markdown.render_markdown`, nh3).

The PDF renderer never touches the network: it loads `data:` URIs and Tutti's own static files only (a
worker that fetched URLs written by users could be pointed at internal services). Images hosted elsewhere
are printed as a reference to the image instead (the phone page shows them). Rendering is strict: any
resource WeasyPrint fails to load — a broken or missing image, a stylesheet — fails the render with
`PacketRenderError`, because a technician holding a packet with a silently missing diagram is worse off
than a PM told that the packet did not render.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from programs.choices import EvidenceKind
from programs.serials import serial_example
from rollout.markdown import render_markdown
from workorders.packets.compiler import SOW_SOURCE, PacketSnapshot
from workorders.packets.errors import PacketRenderError
from workorders.packets.qr import qr_data_uri

PDF_TEMPLATE = "workorders/packet/pdf.html"
HTML_TEMPLATE = "workorders/packet/phone.html"
PRINT_STYLESHEET = "css/packet-print.css"
WEEKDAY_ORDER = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ResourceRefused(Exception):
    """A URL the PDF renderer will not load (anything but data: URIs and Tutti's static files)."""


# --- Instructions -----------------------------------------------------------------------------------

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'\b(src|alt)="([^"]*)"', re.IGNORECASE)


@lru_cache(maxsize=4096)
def instructions_html(text: str) -> str:
    """Markdown → sanitized HTML, as on the SOW pages (cached: every site of a program shares the SOW's text)."""
    return render_markdown(text)


def _static_path(url: str) -> Path | None:
    """The local file behind a URL under STATIC_URL (relative to the site, or on TUTTI_BASE_URL), if any."""
    parts = urlsplit(url)
    base = urlsplit(settings.TUTTI_BASE_URL)
    if parts.scheme and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    if not parts.path.startswith(settings.STATIC_URL):
        return None
    try:
        found = finders.find(unquote(parts.path[len(settings.STATIC_URL) :]))
    except SuspiciousFileOperation:
        return None
    return Path(found) if found else None


def _print_images(fragment: str) -> str:
    """Keep images the PDF can embed (data:, Tutti's static files); print the others as a reference."""

    def replace(match: re.Match) -> str:
        attributes = {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(match.group())}
        src = attributes.get("src", "")
        if src.startswith(("data:", settings.STATIC_URL)) or _is_own_static(src):
            return match.group()
        alt = attributes.get("alt") or "image"
        return f'<span class="image-ref">[Image: {html.escape(alt)} — {html.escape(src)}]</span>'

    return _IMG.sub(replace, fragment)


def _is_own_static(url: str) -> bool:
    return url.startswith(settings.TUTTI_BASE_URL.rstrip("/") + settings.STATIC_URL)


def url_fetcher(url: str, timeout: int = 10, ssl_context=None, http_headers=None) -> dict:
    """WeasyPrint's fetcher for packets: data: URIs and Tutti's static files; everything else is refused."""
    from weasyprint import default_url_fetcher

    if url.startswith("data:"):
        return default_url_fetcher(url)
    path = _static_path(url)
    if path is None:
        raise ResourceRefused(f"{url} is not a Tutti static file or a data: URI; packets load nothing else")
    mime_type, _ = mimetypes.guess_type(path.name)
    return {"string": path.read_bytes(), "mime_type": mime_type, "redirected_url": url}


# --- Presentation of the snapshot ----------------------------------------------------------------------


def evidence_label(evidence: dict) -> str:
    """What a task's evidence requires, in words ("At least 2 photos", "Serial number matching …")."""
    kind = evidence.get("kind") or EvidenceKind.NONE
    if kind == EvidenceKind.PHOTO:
        count = evidence.get("photo_min_count") or 1
        return f"At least {count} photo{'s' if count != 1 else ''}"
    if kind == EvidenceKind.SERIAL:
        pattern = evidence.get("serial_pattern")
        example = serial_example(pattern)
        return "Serial number" + (f" (like {example})" if example else "")
    if kind == EvidenceKind.MEASUREMENT:
        unit = evidence.get("measurement_unit") or ""
        low, high = evidence.get("measurement_min"), evidence.get("measurement_max")
        bounds = ""
        if low is not None and high is not None:
            bounds = f" between {low} and {high} {unit}".rstrip()
        elif low is not None:
            bounds = f" of at least {low} {unit}".rstrip()
        elif high is not None:
            bounds = f" of at most {high} {unit}".rstrip()
        return f"Measurement{f' ({unit})' if unit else ''}{bounds}"
    if kind == EvidenceKind.SIGNATURE:
        return "Signature"
    return ""


def _duration(minutes: int) -> str:
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def _as_dict(snapshot: PacketSnapshot | dict) -> dict:
    return snapshot.to_json() if isinstance(snapshot, PacketSnapshot) else snapshot


def _variation_id(source: str) -> int | None:
    return int(source.split(":", 1)[1]) if source.startswith("variation:") else None


def _context(snapshot: dict, *, for_print: bool) -> dict:
    tasks = []
    for task in snapshot["tasks"]:
        body = instructions_html(task["instructions"])
        tasks.append(
            {
                **task,
                "instructions_html": mark_safe(_print_images(body) if for_print else body),  # nh3-sanitized
                "evidence_label": evidence_label(task["evidence"]),
                "site_specific": task["source"] != SOW_SOURCE,
                "variation_id": _variation_id(task["source"]),
                "duration": _duration(task["estimated_minutes"]),
            }
        )
    materials = [
        {**line, "site_specific": line["source"] != SOW_SOURCE, "variation_id": _variation_id(line["source"])}
        for line in snapshot["materials"]
    ]
    summary = snapshot["summary"]
    evidence_names = dict(EvidenceKind.choices)
    return {
        "packet": snapshot,
        "site": snapshot["site"],
        "program": snapshot["program"],
        "tasks": tasks,
        "materials": materials,
        "repeated_parts": any(total["lines"] > 1 for total in snapshot["material_totals"]),
        "access_hours_rows": [row for row in snapshot["site"]["access_hours_rows"] if row["day"] in WEEKDAY_ORDER],
        "evidence_summary": [(evidence_names.get(kind, kind), count) for kind, count in summary["evidence"].items()],
        "total_duration": _duration(summary["estimated_minutes"]),
        "has_site_notes": bool(
            snapshot["access_notes"]
            or snapshot["skipped_tasks"]
            or any(line["site_specific"] for line in [*tasks, *materials])
        ),
        "site_specific_tasks": [task for task in tasks if task["site_specific"]],
        "site_specific_materials": [line for line in materials if line["site_specific"]],
    }


def css_string(value) -> str:
    """A value as the inside of a double-quoted CSS string (for the footer's margin boxes)."""
    text = str(value)
    return "".join(ch if ch.isalnum() or ch in " .:-_·#/()" else f"\\{ord(ch):x} " for ch in text)


# --- PDF -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def _print_stylesheet():
    """The packet's print stylesheet, parsed once per process (renders reuse it)."""
    from weasyprint import CSS

    path = finders.find(PRINT_STYLESHEET)
    if not path:
        raise PacketRenderError(f"The packet stylesheet {PRINT_STYLESHEET} is missing.")
    return CSS(filename=path, font_config=_font_config())


class _ErrorLog(logging.Handler):
    """Collects what WeasyPrint reports as errors (resources it could not load) during one render."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _strict_weasyprint() -> Iterator[_ErrorLog]:
    logger = logging.getLogger("weasyprint")
    collector = _ErrorLog()
    logger.addHandler(collector)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)


def packet_render_pdf(
    snapshot: PacketSnapshot | dict,
    *,
    visit_url: str,
    version: int | None = None,
    visit_window: str | None = None,
) -> bytes:
    """The packet as PDF bytes: cover (site, contacts, access hours, QR code to `visit_url`), scope summary,
    numbered tasks with evidence check boxes, materials, site-specific notes; every footer shows the page,
    the packet version and the checksum. Raises PacketRenderError when anything fails to render."""
    from weasyprint import HTML

    data = _as_dict(snapshot)
    context = {
        **_context(data, for_print=True),
        "version": version,
        "visit_url": visit_url,
        "visit_window": visit_window,
        "qr_code": qr_data_uri(visit_url),
        "footer": css_string(
            " · ".join(
                part
                for part in (
                    data.get("work_order_number") or data["site"]["code"],
                    f"Packet v{version}" if version else "Packet draft",
                    f"SOW v{data['sow']['version']}",
                    f"sha256 {data['checksum']}",
                )
                if part
            )
        ),
    }
    try:
        document = render_to_string(PDF_TEMPLATE, context)
        with _strict_weasyprint() as errors:
            pdf = HTML(string=document, base_url=settings.TUTTI_BASE_URL, url_fetcher=url_fetcher).write_pdf(
                stylesheets=[_print_stylesheet()], font_config=_font_config()
            )
    except (PacketRenderError, SoftTimeLimitExceeded):
        raise  # the task's time limit is not a rendering failure: the job runner tries the item again
    except Exception as error:  # WeasyPrint, templates and fonts fail in many ways; all mean "not rendered"
        raise PacketRenderError(f"The packet could not be rendered: {type(error).__name__}: {error}") from error
    if errors.messages:
        raise PacketRenderError("The packet could not be rendered: " + "; ".join(dict.fromkeys(errors.messages)))
    return pdf


# --- Phone page ----------------------------------------------------------------------------------------


def packet_render_html(
    snapshot: PacketSnapshot | dict, *, version: int | None = None, visit_window: str | None = None
) -> SafeString:
    """The packet as a phone-friendly HTML fragment (the page view wraps it in the phone layout)."""
    data = _as_dict(snapshot)
    context = {**_context(data, for_print=False), "version": version, "visit_window": visit_window}
    return mark_safe(render_to_string(HTML_TEMPLATE, context))  # autoescaped template; instructions via nh3
