"""The set-up promises: production settings pass the deploy check; the OpenAPI schema is complete and valid."""

import os
import secrets
import subprocess
import sys

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never has it.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_SETTINGS_MODULE="rollout.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(path), "--validate", "--fail-on-warn")
    return yaml.safe_load(path.read_text())


def test_every_operation_documents_its_errors_and_security(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert {"401", "403", "405"} <= set(responses), (method, path)
            assert operation.get("security"), (method, path)
            if method == "post":
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, path
                assert {"409", "422"} <= set(responses), path
            if "{id}" in path:
                assert "404" in responses, (method, path)


def test_schema_and_interactive_docs_are_served_without_internet(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from the drf-spectacular-sidecar package, served as our own static files.
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    assert b"cdn." not in docs.content
    # and both documentation pages lead back to the app
    assert b'href="/">&larr; Back to Tutti' in docs.content
    assert b'href="/" style="color:#fff;text-decoration:none">&larr; Back to Tutti' in client.get("/api/redoc/").content


def test_create_database_makes_a_missing_postgresql_database_once_and_leaves_sqlite_alone():
    from rollout.database import database_create_if_missing

    config = dict(settings.DATABASES["default"])
    if settings.MIGRATION_DATABASE_URL:  # creating databases is the owner's job, not the application role's
        import dj_database_url

        owner = dj_database_url.parse(settings.MIGRATION_DATABASE_URL)
        config.update({key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")})
    if not settings.IS_POSTGRES:
        # SQLite creates its own file: nothing to do
        assert database_create_if_missing(config) is False
        return
    import psycopg2
    from psycopg2 import sql

    # given a database name nobody has created
    config["NAME"] = f"tutti_create_probe_{secrets.token_hex(4)}"
    try:
        # when it is asked for twice, then it is created the first time only
        assert database_create_if_missing(config) is True
        assert database_create_if_missing(config) is False
    finally:
        connection = psycopg2.connect(dbname="postgres", user=config["USER"] or None, host=config["HOST"] or None,
                                      port=config["PORT"] or None)  # fmt: skip
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(config["NAME"])))
        connection.close()
