"""PostgreSQL row-level security: the second lock behind the tenant-scoped querysets.

Every TenantModel table gets a policy that admits only rows of the organization named in the
session setting `tutti.organization_id`. A request sets it as soon as its organization is resolved
and clears it when it ends; tasks and commands leave it empty and scope their queries explicitly.
Policies are (re)applied after every `migrate`, so new apps are covered without extra migrations.

Superusers (and BYPASSRLS roles) are not subject to row-level security by PostgreSQL's design, so on
such connections binding is skipped; production connects as an ordinary role, where it costs two
`set_config` calls per request.

Roles: the schema's owner runs `migrate` (MIGRATION_DATABASE_URL; docker-compose's `migrate` service, and the test
suite when that URL is set); the application connects as TUTTI_DB_APP_ROLE — an ordinary role, neither owner nor
superuser nor BYPASSRLS — which every `migrate` grants row access (no DDL) on every table and sequence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.apps import apps
from django.db import connection

from rollout.request_context import organization_id_var
from rollout.tenancy import TenantModel

SETTING = "tutti.organization_id"
POLICY = "tutti_tenant_isolation"
# Read across organizations on purpose, always filtered by the signed-in user: the organization switcher.
EXEMPT = {"rollout.membership"}


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy and model._meta.label_lower not in EXEMPT
    )


def rls_apply(using_connection=connection) -> list[str]:
    """Enable and force RLS with the tenant policy on every tenant table (idempotent)."""
    if using_connection.vendor != "postgresql":
        return []
    condition = (
        f"coalesce(current_setting('{SETTING}', true), '') = '' "
        # nullif: PostgreSQL may evaluate both sides of OR, and ''::bigint is an error (found running as an ordinary
        # role, where the policy applies: "invalid input syntax for type bigint").
        f"OR organization_id = nullif(current_setting('{SETTING}', true), '')::bigint"
    )
    tables = tenant_tables()
    with using_connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            cursor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            cursor.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
            cursor.execute(f'CREATE POLICY {POLICY} ON "{table}" USING ({condition}) WITH CHECK ({condition})')
    return tables


def rls_detect(sender, connection, **kwargs) -> None:
    """On each new PostgreSQL connection, note whether row-level security applies to its role."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT NOT (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    connection.tutti_rls_enforced = bool(row and row[0])


def rls_set_organization(organization_id: int | None) -> None:
    """Bind this database session to one organization (None clears it), where RLS applies to the role.

    Also the organization that logs name (rollout.logs) and tasks enqueued now carry (rollout.celery)."""
    organization_id_var.set(organization_id or None)
    if connection.vendor != "postgresql" or not getattr(connection, "tutti_rls_enforced", False):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, str(organization_id or "")])


def rls_grant_app_role(role: str, using_connection=connection) -> None:
    """Let the application's ordinary role read and write rows (never change the schema) of every table."""
    if using_connection.vendor != "postgresql" or not role:
        return
    with using_connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise RuntimeError(f"TUTTI_DB_APP_ROLE {role!r} does not exist: create it (LOGIN NOBYPASSRLS) first.")
        name = using_connection.ops.quote_name(role)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {name}")


def _owns_tables(using_connection) -> bool:
    """Whether this connection's role owns the tenant tables (or is a superuser): only the owner sets policies."""
    if using_connection.vendor != "postgresql":
        return False
    with using_connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(current_user, tableowner, 'MEMBER') FROM pg_tables WHERE tablename = %s",
            [tenant_tables()[0]],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def post_migrate_apply(sender, using, **kwargs) -> None:
    from django.conf import settings
    from django.db import connections

    if sender.label != "rollout":  # once per migrate run is enough; all apps are loaded by then
        return
    target = connections[using]
    if not _owns_tables(target):
        return  # post_migrate also follows a `flush` (tests), run as the application role: the owner set it up
    rls_apply(target)
    rls_grant_app_role(settings.TUTTI_DB_APP_ROLE, target)


def rls_bound(chunks: Iterable, organization_id: int | None = None) -> Iterator:
    """`chunks` iterated with the session bound to `organization_id` (default: the organization bound now), then
    cleared: for a streamed response, whose body is read after the request's middleware has cleared the binding,
    so that its queries stay behind row-level security too."""
    organization_id = organization_id or organization_id_var.get()

    def bound():
        rls_set_organization(organization_id)
        try:
            yield from chunks
        finally:
            rls_set_organization(None)

    return bound()
