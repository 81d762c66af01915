"""The notification pages and endpoints: every role has its own inbox (and only its own: another user's or another
organization's notice is a 404), the bell costs one query per page, the inbox's queries do not grow with its rows,
mark read / mark all read, preferences with mandatory types locked, and the event catalogue."""

import pytest
from django.test import Client as BrowserClient

from notifications.models import Notification
from rollout import events
from rollout.choices import Role
from rollout.models import Event

TYPE = "tests.inbox_item"
MUST = "tests.inbox_must"
events.event_type_register(
    events.EventType(
        name=TYPE,
        title="Inbox item",
        subject="organization",
        describe=lambda d: f"Item {d['n']}.",
        link=lambda event, role: f"/o/{event.organization.slug}/profile/",
    )
)
events.event_type_register(events.EventType(name=MUST, title="Inbox must", subject="organization", mandatory=True))
ROLES = [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.TECHNICIAN, Role.CLIENT, Role.INTEGRATOR]


def notify(tenant, *roles, n=1, type=TYPE) -> Event:
    event = events.event_emit(
        organization=tenant.organization,
        type=type,
        data={"n": n},
        recipients=[tenant.members[role].user for role in roles],
    )
    events.event_relay(event.pk)
    return event


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    client.force_login(tenant.members[role].user)
    return client


def inbox_url(tenant, suffix="") -> str:
    return f"/o/{tenant.organization.slug}/notifications/{suffix}"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_its_own_inbox_with_the_bell(tenant, role):
    # given one notice for this role and one for someone else
    notify(tenant, role, n=1)
    other = Role.PM if role != Role.PM else Role.ADMIN
    notify(tenant, other, n=2)
    # when they open their inbox
    response = browser(tenant, role).get(inbox_url(tenant))
    # then they see theirs only, and the bell counts it, in their role's layout
    assert response.status_code == 200
    html = response.content.decode()
    assert "Item 1." in html and "Item 2." not in html
    assert 'data-testid="notification-count">1<' in html
    layout = {Role.TECHNICIAN: "phone-shell", Role.CLIENT: "portal-shell"}.get(role, "staff-shell")
    assert layout in html


def test_anonymous_is_sent_to_sign_in(tenant):
    response = BrowserClient().get(inbox_url(tenant))
    assert response.status_code == 302 and "login" in response["Location"]


def test_opening_a_notice_marks_it_read_and_goes_to_its_object(tenant, other_tenant):
    # given a notice for the coordinator, one for the PM and one in another organization
    notify(tenant, Role.COORDINATOR)
    mine = Notification.objects.get(user=tenant.members[Role.COORDINATOR].user)
    notify(tenant, Role.PM)
    theirs = Notification.objects.get(user=tenant.members[Role.PM].user)
    notify(other_tenant, Role.COORDINATOR)
    foreign = Notification.objects.get(organization=other_tenant.organization)
    client = browser(tenant, Role.COORDINATOR)
    # when they open it
    response = client.get(inbox_url(tenant, f"{mine.pk}/open/"))
    # then it is read and they are on its page
    assert response.status_code == 302 and response["Location"] == f"/o/{tenant.organization.slug}/profile/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    # and another user's or organization's notice is a 404, left unread
    assert client.get(inbox_url(tenant, f"{theirs.pk}/open/")).status_code == 404
    assert client.post(inbox_url(tenant, f"{theirs.pk}/read/")).status_code == 404
    assert client.get(inbox_url(tenant, f"{foreign.pk}/open/")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_is_a_post(tenant):
    for n in range(3):
        notify(tenant, Role.TECHNICIAN, n=n)
    client = browser(tenant, Role.TECHNICIAN)
    assert client.get(inbox_url(tenant, "read-all/")).status_code == 302
    mine = Notification.objects.filter(organization=tenant.organization)
    assert mine.filter(read_at__isnull=True).count() == 3
    response = client.post(inbox_url(tenant, "read-all/"), follow=True)
    assert "3 notices marked read." in response.content.decode()
    assert not mine.filter(read_at__isnull=True).exists()


def test_the_inbox_filters_orders_and_paginates(tenant):
    # given 30 notices, the oldest read, and one of another type
    for n in range(30):
        notify(tenant, Role.PM, n=n)
    notify(tenant, Role.PM, n=99, type=MUST)
    oldest = Notification.objects.filter(type=TYPE).order_by("created_at", "id").first()
    Notification.objects.filter(pk=oldest.pk).update(read_at=oldest.created_at)
    client = browser(tenant, Role.PM)
    # then: 25 a page, unread first; the read filter shows the read one; the type filter the other type
    first = client.get(inbox_url(tenant)).content.decode()
    assert first.count('data-testid="inbox-entry"') == 25 and "Page 1 of 2" in first
    last = client.get(inbox_url(tenant) + "?page=2").content.decode()
    assert "Item 0." in last  # the read one comes last
    read = client.get(inbox_url(tenant) + "?state=read").content.decode()
    assert read.count('data-testid="inbox-entry"') == 1 and "Item 0." in read
    typed = client.get(inbox_url(tenant) + f"?type={MUST}").content.decode()
    assert typed.count('data-testid="inbox-entry"') == 1 and "Must read" in typed
    empty = client.get(inbox_url(tenant) + "?state=unread&type=nothing.such").content.decode()
    assert 'data-testid="inbox-entry"' in empty  # an unknown type is ignored, not an error
    assert "No notices yet" in browser(tenant, Role.CLIENT).get(inbox_url(tenant)).content.decode()


def test_the_inbox_and_the_bell_do_not_grow_with_the_rows(tenant, django_assert_max_num_queries):
    client = browser(tenant, Role.COORDINATOR)
    notify(tenant, Role.COORDINATOR)
    client.get(inbox_url(tenant))  # first-use writes (last seen)
    with django_assert_max_num_queries(20) as few:
        client.get(inbox_url(tenant))
    for n in range(40):
        notify(tenant, Role.COORDINATOR, n=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(inbox_url(tenant))
    # and the bell on any page is one COUNT query
    with django_assert_max_num_queries(40) as page:
        client.get(f"/o/{tenant.organization.slug}/profile/")
    bell = [q["sql"] for q in page.captured_queries if "notifications_notification" in q["sql"]]
    assert len(bell) == 1 and "COUNT(" in bell[0].upper()


def test_preferences_page_locks_mandatory_types_and_saves_choices(tenant):
    client = browser(tenant, Role.PM)
    page = client.get(inbox_url(tenant, "preferences/")).content.decode()
    assert f'name="{MUST}:email"' in page and "Always on" in page
    assert 'name="work_order.submitted:email"' in page  # the office's types
    assert 'name="visit.cancelled:email"' not in page  # a technician's type is not listed for a PM
    # when the PM unticks the plain type's e-mail (ticks stay for the rest) and chooses the digest
    ticked = {f"{TYPE}:in_app": "on", "digest": "daily"}
    response = client.post(inbox_url(tenant, "preferences/"), ticked, follow=True)
    assert "preferences are saved" in response.content.decode()
    notify(tenant, Role.PM, n=5)
    notice = Notification.objects.get(user=tenant.members[Role.PM].user)
    assert (notice.in_app, notice.email) == (True, "")


# --- API --------------------------------------------------------------------------------------------------


def test_api_lists_the_callers_own_notices_and_filters_unread(tenant, other_tenant):
    notify(tenant, Role.PM, n=1)
    notify(tenant, Role.PM, n=2)
    notify(tenant, Role.COORDINATOR, n=3)
    notify(other_tenant, Role.PM, n=4)
    api = tenant.api(Role.PM)
    first = Notification.objects.filter(user=tenant.members[Role.PM].user).order_by("id").first()
    api.post(f"/api/v1/notifications/{first.pk}/read/")
    body = api.get("/api/v1/notifications/").json()
    assert [row["body"] for row in body["results"]] == ["Item 2.", "Item 1."]
    assert body["results"][0]["event"].startswith("evt_") and body["results"][0]["link"].endswith("/profile/")
    unread = api.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [row["body"] for row in unread] == ["Item 2."]
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    # another user's and another organization's notices are 404s
    theirs = Notification.objects.get(user=tenant.members[Role.COORDINATOR].user)
    foreign = Notification.objects.get(organization=other_tenant.organization)
    for pk in (theirs.pk, foreign.pk):
        assert api.get(f"/api/v1/notifications/{pk}/").status_code == 404
        assert api.post(f"/api/v1/notifications/{pk}/read/").status_code == 404
    # an integrator token (no person) has no notices
    assert tenant.api("token").get("/api/v1/notifications/").json()["results"] == []
    assert tenant.api(None).get("/api/v1/notifications/").status_code == 401


def test_api_preferences_refuse_switching_off_a_mandatory_type(tenant):
    api = tenant.api(Role.TECHNICIAN)
    body = api.get("/api/v1/notification-preferences/").json()
    rows = {row["event_type"]: row for row in body["types"]}
    assert rows["visit.cancelled"]["mandatory"] and rows["visit.cancelled"]["email"] and body["digest"] == "immediate"
    refused = api.patch(
        "/api/v1/notification-preferences/",
        {"changes": [{"event_type": "visit.cancelled", "channel": "email", "enabled": False}]},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "notification_mandatory"
    changed = api.patch(
        "/api/v1/notification-preferences/",
        {"changes": [{"event_type": "visit.scheduled", "channel": "email", "enabled": False}], "digest": "daily"},
        format="json",
    ).json()
    rows = {row["event_type"]: row for row in changed["types"]}
    assert rows["visit.scheduled"]["email"] is False and rows["visit.scheduled"]["in_app"] is True
    assert changed["digest"] == "daily"
    unknown = api.patch(
        "/api/v1/notification-preferences/",
        {"changes": [{"event_type": "nothing.such", "channel": "email", "enabled": False}]},
        format="json",
    )
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "unknown_event_type"
    token = tenant.api("token").patch("/api/v1/notification-preferences/", {"digest": "daily"}, format="json")
    assert token.status_code == 403 and token.json()["errors"][0]["code"] == "no_person"


def test_api_event_catalogue(tenant):
    rows = {row["name"]: row for row in tenant.api(Role.INTEGRATOR).get("/api/v1/event-types/").json()}
    cancelled = rows["visit.cancelled"]
    assert cancelled["mandatory"] is True and cancelled["version"] == 1 and cancelled["subject"] == "visit"
    assert cancelled["example"]["reason"] and cancelled["title"] == "Visit cancelled"
    assert tenant.api(None).get("/api/v1/event-types/").status_code == 401
