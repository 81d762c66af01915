"""PostgreSQL row-level security: the second lock behind the tenant-scoped querysets.

Every TenantModel table gets a policy that admits only rows of the organization named in the
session setting `tutti.organization_id`. A request sets it as soon as its organization is resolved
and clears it when it ends; tasks and commands leave it empty and scope their queries explicitly.
Policies are (re)applied after every `migrate`, so new apps are covered without extra migrations.

Superusers (and BYPASSRLS roles) are not subject to row-level security by PostgreSQL's design, so on
such connections binding is skipped; production connects as an ordinary role, where it costs two
`set_config` calls per request.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection

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
        f"OR organization_id = current_setting('{SETTING}', true)::bigint"
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
    """Bind this database session to one organization (None clears it), where RLS applies to the role."""
    if connection.vendor != "postgresql" or not getattr(connection, "tutti_rls_enforced", False):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, str(organization_id or "")])


def post_migrate_apply(sender, using, **kwargs) -> None:
    from django.db import connections

    if sender.label == "rollout":  # once per migrate run is enough; all apps are loaded by then
        rls_apply(connections[using])
