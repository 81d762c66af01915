"""The visit page of the technician's phone app, under /o/<org>/field/visits/<pk>/, and the app's service worker
(FieldServiceWorkerView, at /field-sw.js).

The server renders what does not change during a visit — the site (address with a link to the phone's maps
app, access hours, contacts to call) and the packet the visit works from (phone page and PDF) — and embeds the
Visit resource of the visits API; static/js/field/visit-page.js renders the rest from it (arrival, checklist,
sign-off, check-out) and sends every action through the phone's outbox to that API.

Who may open it: the visit's technician (another technician's visit is a 404, like another organization's);
staff and integrators read it as the technician sees it, without any action (read-only: they act through the
dispatch pages); client viewers are refused (403): they have their portal.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone
from django.views.generic import TemplateView

from rollout.choices import FULL_READ_ROLES, Role
from rollout.views.base import OrgDetailView, OrgTemplateView
from rollout.views.home import mark_offline
from sites.selectors import site_access_hours_rows
from workorders.field.home import rendered_at, technician_day, technician_visits
from workorders.models import Visit
from workorders.packets.render import packet_render_html
from workorders.visits import selectors
from workorders.visits.api.serializers import VisitDetailSerializer

FIELD_READ_ROLES = FULL_READ_ROLES | {Role.TECHNICIAN}
API_BASE = "/api/v1/"  # rollout.urls mounts the API there; the phone's outbox keeps absolute paths


def maps_links(site) -> dict:
    """Links that open the site in the phone's maps app: geo: (Android), Apple Maps (iPhone), Google Maps (web).

    With coordinates the pin is exact; without, the address is searched."""
    label = f"{site.code} {site.name}"
    address = ", ".join(part for part in (site.address_line1, site.city, site.state, site.postal_code) if part)
    if site.latitude is not None and site.longitude is not None:
        point = f"{site.latitude},{site.longitude}"
        return {
            "geo": f"geo:{point}?q={point}({quote(label)})",
            "apple": "https://maps.apple.com/?" + urlencode({"ll": point, "q": label}),
            "web": "https://www.google.com/maps/search/?" + urlencode({"api": 1, "query": point}),
            "directions": "https://www.google.com/maps/dir/?" + urlencode({"api": 1, "destination": point}),
        }
    return {
        "geo": f"geo:0,0?q={quote(address or label)}",
        "apple": "https://maps.apple.com/?" + urlencode({"q": address or label}),
        "web": "https://www.google.com/maps/search/?" + urlencode({"api": 1, "query": address or label}),
        "directions": "https://www.google.com/maps/dir/?" + urlencode({"api": 1, "destination": address or label}),
    }


class FieldVisitView(OrgDetailView):
    """One visit on the technician's phone; read-only for staff."""

    roles = {"read": FIELD_READ_ROLES, "write": frozenset()}
    model = Visit
    template_name = "field/visit.html"
    context_object_name = "visit"

    def get_queryset(self):
        # The same reads as the API's visit detail (its resource is embedded), in a fixed number of queries.
        return selectors.visit_detail_queryset(super().get_queryset().with_summary())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visit = self.object
        site = visit.work_order.site
        zone = ZoneInfo(site.timezone) if site.timezone else ZoneInfo(settings.TIME_ZONE)
        start, end = visit.window_start.astimezone(zone), visit.window_end.astimezone(zone)
        packet = selectors.visit_effective_packet(visit)
        hours = [row for row in site_access_hours_rows(site) if row["windows"] is not None]
        today_name = timezone.now().astimezone(zone).strftime("%A")
        resource = VisitDetailSerializer(visit, context={"request": self.request, "access": self.access}).data
        context.update(
            site=site,
            # Formatted on the site's clock (template filters would convert to the server's time zone).
            window_day=f"{start:%a %b} {start.day}",
            window_text=f"{start:%H:%M}–{end:%H:%M}",
            window_zone=start.tzname() or site.timezone,
            contacts=list(site.contacts.all()),  # prefetched by visit_detail_queryset
            access_hours_rows=hours,
            access_hours_today=next((row for row in hours if row["day"] == today_name), None),
            maps=maps_links(site),
            packet=packet,
            packet_html=(
                packet_render_html(
                    packet.snapshot, version=packet.version, visit_window=selectors.describe_visit_window(visit)
                )
                if packet
                else ""
            ),
            readonly=self.access.role != Role.TECHNICIAN,
            visit_resource=resource,
            api_base=API_BASE,
            layout="layouts/phone.html" if self.access.role == Role.TECHNICIAN else "layouts/staff.html",
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if not context["readonly"]:
            mark_offline(response)
        return response


# rollout.urls mounts every organization's pages under /o/<org>/: the worker may be given any of them as scope.
ORGANIZATIONS_PREFIX = "/o/"


class FieldServiceWorkerView(TemplateView):
    """The field app's service worker (templates/field/sw.js): an ES module that imports the pages' own outbox and
    sender, so that the same code sends the outbox from a page and from the worker.

    Public, like the static files it imports: it is code with no tenant data, and browsers fetch a module worker's
    script without cookies. `Service-Worker-Allowed: /o/` lets a technician's pages register it with their
    organization (/o/<org>/) as its scope: it keeps Today, Upcoming and the visit pages (network-first) and the
    app's static files for a phone without signal, and sends the outbox on Background Sync events."""

    template_name = "field/sw.js"
    content_type = "text/javascript"
    http_method_names = ["get", "head"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            static_prefix=settings.STATIC_URL,
            outbox_module=static("js/field/outbox.js"),
            sender_module=static("js/field/sender.js"),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["Cache-Control"] = "no-cache"  # a new version of the worker is picked up at the next visit
        response["Service-Worker-Allowed"] = ORGANIZATIONS_PREFIX
        return response


class FieldOfflineView(OrgTemplateView):
    """What the phone shows, without signal, for a page it has no copy of (Profile, say): kept by the service worker
    and answered by it when such a page cannot be fetched."""

    template_name = "field/offline.html"
    roles = {"read": frozenset({Role.TECHNICIAN})}

    def render_to_response(self, context, **response_kwargs):
        return mark_offline(super().render_to_response(context, **response_kwargs))


class UpcomingView(OrgTemplateView):
    """The technician's upcoming visits (phone shell): the coming days', grouped by day."""

    template_name = "home/upcoming.html"
    roles = {"read": frozenset({Role.TECHNICIAN})}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = technician_day(self.access)
        context.update(
            today=day, visits=technician_visits(self.access, today=day, upcoming=True), rendered_at=rendered_at()
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        return mark_offline(super().render_to_response(context, **response_kwargs))
