"""No input gets a 500, and every error under /api/ answers in the API's JSON error shape — under DEBUG too.

Found by fuzzing: 50,000-deep JSON raised RecursionError, a lone surrogate reached the database (DataError /
UnicodeEncodeError), and under `make run` (DEBUG) a crash, an unknown path or a malformed id answered Django's
debug pages (which list every URL and the settings).
"""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from rollout.choices import Role
from rollout.models import Client
from sites.models import Site

ERROR_TYPES = {"validation_error", "client_error", "server_error"}


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["type"] in ERROR_TYPES
    assert body["errors"] and {"code", "detail", "attr"} <= set(body["errors"][0])
    if code is not None:
        assert body["errors"][0]["code"] == code, body
    return body


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_deeply_nested_json_is_a_parse_error(tenant):
    # given a body 50,000 arrays deep
    body = "[" * 50_000 + "]" * 50_000
    # when
    response = tenant.api(Role.PM).post("/api/v1/clients/", data=body, content_type="application/json")
    # then
    assert_error_shape(response, 400, "parse_error")


def test_nesting_within_the_limit_is_parsed_as_usual(tenant):
    nested = "[" * 30 + "]" * 30
    response = tenant.api(Role.PM).post(
        "/api/v1/clients/", data='{"code": "n", "name": "N", "x": ' + nested + "}", content_type="application/json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("where", ["value", "key"])
def test_a_lone_surrogate_in_site_attributes_is_refused_and_nothing_written(tenant, where):
    # given a site whose attribute holds "\ud800" (a JSON escape that decodes to no character at all)
    attributes = '{"floor": "\\ud800"}' if where == "value" else '{"fl\\udc00or": "2"}'
    body = f'{{"client": {tenant.client.pk}, "code": "s-1", "name": "Store 1", "attributes": {attributes}}}'
    # when
    response = tenant.api(Role.PM).post("/api/v1/sites/", data=body, content_type="application/json")
    # then
    assert_error_shape(response, 400, "parse_error")
    assert not Site.objects.filter(code="s-1").exists()


def test_a_lone_surrogate_in_access_hours_and_names_is_refused(tenant):
    api = tenant.api(Role.PM)
    for body in (
        f'{{"client": {tenant.client.pk}, "code": "s-2", "name": "S", '
        '"access_hours": {"mon": [["08:00\\udfff", "17:00"]]}}',
        '{"code": "c\\ud83d", "name": "half an emoji"}',
    ):
        path = "/api/v1/sites/" if "access_hours" in body else "/api/v1/clients/"
        assert_error_shape(api.post(path, data=body, content_type="application/json"), 400, "parse_error")
    assert not Client.objects.filter(name="half an emoji").exists()


def test_a_proper_surrogate_pair_is_text_and_accepted(tenant):
    body = '{"code": "emoji", "name": "Caf\\u00e9 \\ud83d\\ude00"}'
    response = tenant.api(Role.PM).post("/api/v1/clients/", data=body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Client.objects.get(code="emoji").name == "Café 😀"


def test_invalid_utf8_is_a_parse_error(tenant):
    body = b'{"code": "x", "name": "\xed\xa0\x80"}'  # a surrogate encoded as UTF-8: not UTF-8
    response = tenant.api(Role.PM).post("/api/v1/clients/", data=body, content_type="application/json")
    assert_error_shape(response, 400, "parse_error")


def test_an_unknown_api_path_is_a_json_404(tenant, debug):
    api = tenant.api(Role.PM)
    for path in ("/api/v1/no-such-thing/", "/api/v2/", "/api/", "/api/v1/clients/1/no-such-action/"):
        body = assert_error_shape(api.get(path), 404, "not_found")
        assert "urlpatterns" not in str(body) and "Using the URLconf" not in str(body)


def test_a_malformed_id_is_a_json_404(tenant, debug):
    api = tenant.api(Role.PM)
    for path in (
        "/api/v1/clients/not-a-number/",
        "/api/v1/clients/99999999999999999999999/",
        "/api/v1/sites/%ED%A0%80/",
    ):
        assert_error_shape(api.get(path), 404, "not_found")
    response = api.post("/api/v1/work-orders/abc/transition/", {"to_status": "ready"}, format="json")
    assert_error_shape(response, 404, "not_found")


def test_an_api_write_without_the_trailing_slash_is_a_json_404_not_a_crash(tenant, debug):
    response = tenant.api(Role.PM).post("/api/v1/clients", {"code": "x", "name": "X"}, format="json")
    assert_error_shape(response, 404, "not_found")


@override_settings(ROOT_URLCONF="tests.rollout.urls_crash")
@pytest.mark.parametrize("path", ["/api/v1/test-crash/", "/api/v1/test-crash-plain/"])
def test_a_crash_under_the_api_is_a_json_500_without_the_details(db, debug, path):
    # given a view that raises (the debug page would show the code and the settings)
    api = APIClient(raise_request_exception=False)
    # when
    response = api.get(path)
    # then
    body = assert_error_shape(response, 500, "error")
    assert body["type"] == "server_error"
    assert "boom" not in response.content.decode()
    assert response["X-Request-ID"]


def test_the_api_root_links_to_the_schema_and_docs(db, debug):
    response = APIClient().get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"].endswith("/api/schema/")
    assert body["docs"].endswith("/api/docs/")
    assert body["redoc"].endswith("/api/redoc/")
    assert APIClient().get(body["schema"].replace("http://testserver", "")).status_code == 200


def test_pages_outside_the_api_keep_their_html_errors(db):
    response = APIClient().get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
