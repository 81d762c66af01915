"""Shared fixtures: two organizations (so isolation is always tested) and a member per role in each."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

import pytest
from django.db import connection as default_connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from rollout.choices import Role
from rollout.models import Membership, Organization
from tests.factories import ClientFactory, MembershipFactory, OrganizationFactory, issue_token


@dataclass
class Tenant:
    """One organization with a client and one member per role; `api(role)` gives a signed-in API client."""

    organization: Organization
    client: object
    members: dict[Role, Membership] = field(default_factory=dict)

    def api(self, role: Role | str | None) -> APIClient:
        api = APIClient()
        if role is None:
            return api
        if role == "token":
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(self.organization)}")
            return api
        api.force_login(self.members[Role(role)].user)
        api.defaults["HTTP_X_ORGANIZATION"] = self.organization.slug
        return api


def build_tenant(slug: str) -> Tenant:
    organization = OrganizationFactory(slug=slug, name=slug.replace("-", " ").title())
    client = ClientFactory(organization=organization, code=f"{slug}-client", name=f"{slug} client")
    tenant = Tenant(organization=organization, client=client)
    for role in Role:
        tenant.members[role] = MembershipFactory(
            organization=organization,
            role=role,
            client=client if role == Role.CLIENT else None,
            user__email=f"{role}@{slug}.example.com",
        )
    return tenant


@pytest.fixture
def tenant(db) -> Tenant:
    return build_tenant("acme-rollouts")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return build_tenant("globex-field")


def pytest_configure(config):
    from django.conf import settings

    # WhiteNoise expects STATIC_ROOT to exist even when it serves from the finders.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


# --- PostgreSQL roles: the suite runs as the application's ordinary role, under row-level security -----------
# With MIGRATION_DATABASE_URL set (.ci/run), the owner creates and migrates the test database — `migrate` grants
# the application role row access (rollout.rls) — and every test then connects as DATABASE_URL's role: neither
# owner nor superuser, so the row-level security policies apply to the whole suite. Teardown drops as the owner.

_APP_CREDENTIALS: dict = {}


def _owner_credentials() -> dict | None:
    from django.conf import settings

    if not settings.MIGRATION_DATABASE_URL or not settings.IS_POSTGRES:
        return None
    import dj_database_url

    owner = dj_database_url.parse(settings.MIGRATION_DATABASE_URL)
    return {key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}


def _use_credentials(credentials: dict) -> None:
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict.update(credentials)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    owner = _owner_credentials()
    if owner is None:
        return
    from django.conf import settings
    from django.db import connections

    current = connections["default"].settings_dict
    _APP_CREDENTIALS.update({key: current[key] for key in owner})
    settings.TUTTI_DB_APP_ROLE = settings.TUTTI_DB_APP_ROLE or current["USER"]
    _use_credentials(owner)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    owner = _owner_credentials()
    if owner is None:
        yield
        return
    with django_db_blocker.unblock():
        _use_credentials(_APP_CREDENTIALS)
    yield
    with django_db_blocker.unblock():
        _use_credentials(owner)


# --- Query budgets ------------------------------------------------------------------------------------------
# On PostgreSQL as the application role (CI), each request binds its connection to the organization for row-level
# security (`SELECT set_config(...)`, rollout.rls). That statement reads no data, so a query budget — what a page or
# endpoint costs in data queries — does not count it; pytest-django's two budget fixtures are redefined to match.
RLS_BINDING_PREFIX = "SELECT set_config("


class DataQueries(CaptureQueriesContext):
    """The queries captured, without the row-level-security binding statements."""

    @property
    def captured_queries(self):
        return [query for query in super().captured_queries if not query["sql"].startswith(RLS_BINDING_PREFIX)]

    def __len__(self):
        return len(self.captured_queries)

    def __getitem__(self, index):
        return self.captured_queries[index]

    def __iter__(self):
        return iter(self.captured_queries)


@contextmanager
def _data_query_budget(config, num: int, exact: bool = True, connection=None, info: str | None = None):
    with DataQueries(connection or default_connection) as context:
        yield context
    performed = len(context)
    if performed == num or (not exact and performed < num):
        return
    message = f"Expected to perform {num} queries {'' if exact else 'or less '}but {performed} were done"
    if info:
        message += f"\n{info}"
    if config.getoption("verbose") > 0:
        message += "\n\nQueries:\n========\n\n" + "\n\n".join(query["sql"] for query in context.captured_queries)
    pytest.fail(message)


@pytest.fixture
def django_assert_num_queries(pytestconfig):
    return partial(_data_query_budget, pytestconfig)


@pytest.fixture
def django_assert_max_num_queries(pytestconfig):
    return partial(_data_query_budget, pytestconfig, exact=False)
