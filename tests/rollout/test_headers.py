"""Second locks and headers: a Content Security Policy on every page, no caching of signed-in pages and API answers, the
health probe answering by address over plain HTTP, a short production secret refused, and structured logs that
carry the request id and organization from web to worker."""

import json
import logging
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from rollout.celery import ORGANIZATION_HEADER, REQUEST_ID_HEADER, _carry_request_context
from rollout.choices import Role
from rollout.logs import ContextFilter, JsonFormatter
from rollout.request_context import organization_id_var, request_id_var


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "/api/docs/", "/api/redoc/", "/api/v1/", "/password-reset/"])
def test_every_page_has_a_content_security_policy_without_inline_scripts(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    if "text/html" in response["Content-Type"]:
        html = response.content.decode()
        # every <script> of ours loads a file (Swagger UI's start-up script included)
        assert "<script>" not in html, path


def test_signed_in_pages_have_the_policy_too(client, tenant):
    client.force_login(tenant.members[Role.PM].user)
    response = client.get(f"/o/{tenant.organization.slug}/", follow=True)
    assert response.status_code == 200
    assert "'self'" in csp(response)["script-src"]


def test_signed_in_api_answers_are_never_stored(tenant):
    for api in (tenant.api(Role.PM), tenant.api("token")):
        response = api.get("/api/v1/clients/")
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        assert {"Authorization", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
        # errors too
        assert api.get("/api/v1/clients/0/")["Cache-Control"] == "no-store"


def test_signed_in_pages_are_never_stored_and_public_pages_and_static_files_may_be(client, tenant, settings):
    from django.templatetags.static import static

    settings.WHITENOISE_USE_FINDERS = True  # static files served from the sources, as under DEBUG
    slug = tenant.organization.slug
    # given nobody signed in: public pages and static files are not marked
    assert "no-store" not in client.get(reverse("core:password_reset")).get("Cache-Control", "")
    asset = client.get(static("js/field/outbox.js"))
    assert asset.status_code == 200
    assert "no-store" not in asset.get("Cache-Control", "")
    # when a PM is signed in, then every page of theirs is private and never stored: lists, details, fragments
    client.force_login(tenant.members[Role.PM].user)
    for path in (f"/o/{slug}/", f"/o/{slug}/sites/", f"/o/{slug}/programs/", f"/o/{slug}/profile/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert {"private", "no-store"} <= {v.strip() for v in response["Cache-Control"].split(",")}, path
    # and a response that chose its own caching keeps it: the field app's service worker is checked every time
    assert client.get("/field-sw.js")["Cache-Control"] == "no-cache"
    asset = client.get(static("js/field/outbox.js"))
    assert asset.status_code == 200
    assert "no-store" not in asset.get("Cache-Control", "")


def test_the_technicians_offline_pages_are_not_stored_by_http_caches_but_still_marked_for_the_service_worker(
    client, tenant
):
    # given a technician signed in
    client.force_login(tenant.members[Role.TECHNICIAN].user)
    # when Today (a page the field app's service worker keeps) is fetched
    response = client.get(f"/o/{tenant.organization.slug}/")
    # then HTTP caches may not store it, and the service worker is still told to keep it: it keeps pages in the
    # Cache API, which Cache-Control does not govern (tests/browser/test_field_offline.py opens them offline)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Tutti-Offline"] == "keep"


def test_the_health_probe_answers_by_address_over_plain_http_in_production_shape(db, client, settings):
    # given production's host list and HTTPS redirect (compose probes http://127.0.0.1:8000/healthz)
    settings.ALLOWED_HOSTS = ["tutti.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    # when / then
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200, response.content[:200]
    assert response.json()["status"] in {"ok", "degraded"}
    # while any other page still refuses the unknown host
    assert client.get(reverse("core:login"), HTTP_HOST="127.0.0.1:8000").status_code == 400


def run_production(secret_key: str, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_SETTINGS_MODULE="rollout.settings.production", DJANGO_SECRET_KEY=secret_key)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("secret_key", ["short", "x" * 60, "dev-only-insecure-key-change-me-in-production-0123456789"])
def test_production_refuses_a_weak_secret_key(secret_key):
    result = run_production(secret_key, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be a random value of at least 50 characters" in result.stderr


def test_production_logs_are_json_with_the_request_id_and_organization():
    result = run_production(
        secrets.token_urlsafe(50),
        "shell",
        "-c",
        "import logging; from rollout.request_context import request_id_var, organization_id_var; "
        "request_id_var.set('req-7'); organization_id_var.set(42); logging.getLogger('tutti.probe').warning('hello')",
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if '"tutti.probe"' in line)
    entry = json.loads(line)
    assert (entry["message"], entry["request_id"], entry["organization_id"], entry["level"]) == (
        "hello",
        "req-7",
        42,
        "WARNING",
    )


def test_a_task_carries_the_request_id_and_organization_to_the_worker():
    # given a request in progress (web side)
    request_token, org_token = request_id_var.set("req-42"), organization_id_var.set(7)
    try:
        headers = {}
        # when a task is published, then its headers carry both
        _carry_request_context(headers=headers)
    finally:
        request_id_var.reset(request_token)
        organization_id_var.reset(org_token)
    assert headers == {REQUEST_ID_HEADER: "req-42", ORGANIZATION_HEADER: 7}
    # and the worker side restores them around the task, so its log records name them
    from celery import Celery

    app = Celery("probe", set_as_current=False)
    app.conf.task_always_eager = False
    seen = {}

    @app.task(bind=True)
    def probe(self):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        ContextFilter().filter(record)
        seen.update(json.loads(JsonFormatter().format(record)))

    probe.apply(headers=headers)
    assert (seen["request_id"], seen["organization_id"]) == ("req-42", 7)
    assert request_id_var.get() == ""  # and forgotten afterwards


def test_compose_runs_the_application_as_an_ordinary_role_and_migrates_as_the_owner():
    import yaml

    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://tutti_app:"), name
    assert services["migrate"]["environment"]["DATABASE_URL"].startswith("postgres://tutti:")
    assert services["migrate"]["environment"]["TUTTI_DB_APP_ROLE"] == "tutti_app"
    init = (settings.BASE_DIR / "scripts" / "postgres-init" / "10-app-role.sh").read_text()
    assert "CREATE ROLE tutti_app LOGIN NOSUPERUSER NOBYPASSRLS" in init
    assert "http://127.0.0.1:8000/healthz" in " ".join(services["web"]["healthcheck"]["test"])
