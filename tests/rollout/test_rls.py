"""PostgreSQL row-level security, the second lock: a session bound to one organization sees only its rows."""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from rollout.models import Client
from rollout.rls import POLICY, SETTING, tenant_tables

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")

PROBE_ROLE = "tutti_rls_probe"


@pytest.fixture
def as_ordinary_role(db):
    """Run queries as a non-superuser role (superusers bypass RLS), inside the test's transaction. Under .ci/run
    the suite already connects as the application's ordinary role: nothing to switch."""
    connection.ensure_connection()
    if getattr(connection, "tutti_rls_enforced", False):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [PROBE_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {PROBE_ROLE} NOLOGIN NOSUPERUSER")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {PROBE_ROLE}")
        cursor.execute(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {PROBE_ROLE}")
        cursor.execute(f"SET LOCAL ROLE {PROBE_ROLE}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_every_tenant_table_has_the_policy(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s", [POLICY])
        covered = {row[0] for row in cursor.fetchall()}
    assert set(tenant_tables()) <= covered
    assert "rollout_client" in covered


def test_a_session_bound_to_one_organization_sees_only_its_rows(tenant, other_tenant, as_ordinary_role):
    with connection.cursor() as cursor:
        # when the session is bound to the first organization
        cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, str(tenant.organization.pk)])
        # then even an unscoped query returns only its rows
        assert list(Client.objects.values_list("organization_id", flat=True).distinct()) == [tenant.organization.pk]
        # and writing a row for another organization is refused by the policy
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "INSERT INTO rollout_client (organization_id, code, name, contact_name, contact_email, created_at) "
                "VALUES (%s, 'sneaky', 'Sneaky', '', '', now())",
                [other_tenant.organization.pk],
            )


def test_requests_bind_the_session_to_their_organization_and_release_it(tenant, monkeypatch):
    # given a connection whose role is subject to row-level security (CI connects as a superuser)
    from django.test.utils import CaptureQueriesContext

    from rollout.choices import Role

    monkeypatch.setattr(connection, "tutti_rls_enforced", True, raising=False)
    # when an API request and a page request run
    with CaptureQueriesContext(connection) as queries:
        assert tenant.api(Role.PM).get("/api/v1/clients/").status_code == 200
    bindings = [q["sql"] for q in queries.captured_queries if "set_config" in q["sql"]]
    # then the session is bound to the organization, then released
    assert bindings == [
        f"SELECT set_config('{SETTING}', '{tenant.organization.pk}', false)",
        f"SELECT set_config('{SETTING}', '', false)",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [SETTING])
        assert cursor.fetchone()[0] == ""


@pytest.mark.skipif(
    not settings.MIGRATION_DATABASE_URL, reason="the suite runs as one role (no MIGRATION_DATABASE_URL)"
)
def test_the_suite_runs_as_an_ordinary_role_under_row_level_security(db):
    # .ci/run: the owner migrated the test database; the tests connect as the application's role
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolcreatedb FROM pg_roles WHERE rolname = current_user",
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'rollout_client'")
        (owner,) = cursor.fetchone()
        cursor.execute("SELECT current_user")
        (current,) = cursor.fetchone()
    assert owner != current
    assert connection.tutti_rls_enforced is True
    # and it cannot change the schema
    with (
        pytest.raises(DatabaseError, match=r"must be owner|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("ALTER TABLE rollout_client ADD COLUMN sneaky integer")


def test_a_streamed_body_is_read_bound_to_its_organization(tenant):
    # given a stream made while the request is bound to the organization, read after the binding is cleared
    from django.db import connection

    from rollout.rls import rls_bound, rls_set_organization

    def settings_seen():
        for _ in range(2):
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('tutti.organization_id', true)")
                yield cursor.fetchone()[0]

    rls_set_organization(tenant.organization.pk)
    stream = rls_bound(settings_seen())
    rls_set_organization(None)
    # then its queries ran bound to that organization (where RLS applies), and the binding is cleared after it
    seen = list(stream)
    if connection.vendor == "postgresql" and getattr(connection, "tutti_rls_enforced", False):
        assert seen == [str(tenant.organization.pk)] * 2
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('tutti.organization_id', true)")
            assert cursor.fetchone()[0] == ""
    assert len(seen) == 2
