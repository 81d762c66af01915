"""Notification pages: the inbox (unread first or newest first, filters, pagination; opening an entry marks it read
and goes to its object; mark all read), and the preferences (event types × channels, mandatory ones locked, the
digest). Every signed-in role has them, in its own layout (the technician's phone, the client portal, the staff
shell); everything shown is the caller's own, so another user's or organization's notice is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from notifications import selectors, services
from notifications.choices import Channel, Digest, InboxOrder, ReadState
from notifications.models import Notification
from rollout.choices import ALL_ROLES, Role
from rollout.errors import ApplicationError
from rollout.events import event_type_get
from rollout.views.base import OrgPageMixin, OrgTemplateView

EVERYONE = {"read": ALL_ROLES, "write": ALL_ROLES}
PAGE_SIZE = 25


def layout_for(role: str) -> str:
    if role == Role.TECHNICIAN:
        return "layouts/phone.html"
    if role == Role.CLIENT:
        return "layouts/portal.html"
    return "layouts/staff.html"


class NotificationPageMixin(OrgPageMixin):
    roles = EVERYONE

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("core:login")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = layout_for(self.access.role)
        context["phone"] = self.access.role == Role.TECHNICIAN
        return context


class InboxView(NotificationPageMixin, OrgTemplateView):
    """The caller's notices, 25 a page."""

    template_name = "notifications/inbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        state = params.get("state", "") if params.get("state") in ReadState.values else ""
        order = params.get("order") if params.get("order") in InboxOrder.values else InboxOrder.UNREAD_FIRST
        types = selectors.notification_types_present(access=self.access)
        type_ = params.get("type", "") if params.get("type") in types else ""
        queryset = selectors.notification_list(access=self.access, state=state, type=type_, order=order)
        page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
        titles = {}
        for name in types:
            try:
                titles[name] = event_type_get(name).title
            except ApplicationError:
                titles[name] = name
        context.update(
            page=page,
            notifications=page.object_list,
            state=state,
            order=order,
            type=type_,
            type_choices=sorted(titles.items(), key=lambda item: item[1]),
            states=ReadState.choices,
            orders=InboxOrder.choices,
            filters_active=bool(state or type_),
            unread_count=selectors.notification_unread_count(
                organization_id=self.access.organization.pk, user_id=self.request.user.pk
            ),
        )
        return context


class NotificationOpenView(NotificationPageMixin, View):
    """Open one notice: it is marked read and the page of its object opens (the inbox when it has none)."""

    def get(self, request, *args, **kwargs):
        notification = self.visible_or_404(Notification.objects, kwargs["pk"], "notification")
        services.notification_mark_read(**self.service_kwargs(), notification_id=notification.pk)
        return redirect(notification.link or self.org_url("notifications:notifications"))


class NotificationReadView(NotificationPageMixin, View):
    """Mark one notice read without opening it (POST)."""

    def post(self, request, *args, **kwargs):
        notification = self.visible_or_404(Notification.objects, kwargs["pk"], "notification")
        services.notification_mark_read(**self.service_kwargs(), notification_id=notification.pk)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = self.org_url("notifications:notifications")
        return redirect(target)

    def get(self, request, *args, **kwargs):
        return redirect(self.org_url("notifications:notifications"))


class NotificationReadAllView(NotificationPageMixin, View):
    """Mark every unread notice read (POST)."""

    def post(self, request, *args, **kwargs):
        count = services.notifications_mark_all_read(**self.service_kwargs())
        messages.success(
            request, f"{count} notice{'s' if count != 1 else ''} marked read." if count else "Nothing unread."
        )
        return redirect(self.org_url("notifications:notifications"))

    def get(self, request, *args, **kwargs):
        return redirect(self.org_url("notifications:notifications"))


class PreferencesView(NotificationPageMixin, OrgTemplateView):
    """Event types × channels (in the app, e-mail), mandatory ones locked, and the e-mail rhythm."""

    template_name = "notifications/preferences.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows, digest = selectors.notification_preferences_get(access=self.access)
        context.update(
            rows=rows,
            digest=digest,
            digests=Digest.choices,
            channels=Channel.choices,
            has_mandatory=any(row.mandatory for row in rows),
        )
        return context

    def post(self, request, *args, **kwargs):
        rows, _digest = selectors.notification_preferences_get(access=self.access)
        changes = [
            (row.event_type.name, channel, f"{row.event_type.name}:{channel}" in request.POST)
            for row in rows
            if not row.mandatory
            for channel in Channel.values
        ]
        try:
            services.notification_preferences_update(
                **self.service_kwargs(), changes=changes, digest=request.POST.get("digest") or None
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Your notification preferences are saved.")
        return redirect(self.org_url("notifications:notification-preferences"))
