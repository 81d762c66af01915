"""Role matrix and cross-organization isolation for every core API endpoint."""

import pytest

from rollout.choices import Role
from rollout.services import invitation_create

ROLES = [None, Role.ADMIN, Role.PM, Role.COORDINATOR, Role.TECHNICIAN, Role.CLIENT, "token"]

# endpoint -> expected status per caller (None = anonymous, "token" = integrator API token)
READ_MATRIX = {
    "/api/v1/me/": {None: 401, "token": 200, **dict.fromkeys(Role, 200)},
    "/api/v1/clients/": {
        None: 401,
        "token": 200,
        Role.TECHNICIAN: 403,
        **dict.fromkeys([Role.ADMIN, Role.PM, Role.COORDINATOR, Role.CLIENT], 200),
    },
    "/api/v1/memberships/": {None: 401, "token": 200, **dict.fromkeys(Role, 200)},
    "/api/v1/invitations/": {
        None: 401,
        "token": 403,
        Role.ADMIN: 200,
        **dict.fromkeys([Role.PM, Role.COORDINATOR, Role.TECHNICIAN, Role.CLIENT], 403),
    },
    "/api/v1/api-tokens/": {
        None: 401,
        "token": 403,
        Role.ADMIN: 200,
        Role.TECHNICIAN: 200,  # their own personal tokens only
        **dict.fromkeys([Role.PM, Role.COORDINATOR, Role.CLIENT], 403),
    },
    "/api/v1/audit-events/": {
        None: 401,
        "token": 403,
        Role.ADMIN: 200,
        Role.PM: 200,
        **dict.fromkeys([Role.COORDINATOR, Role.TECHNICIAN, Role.CLIENT], 403),
    },
}


@pytest.mark.parametrize("path", READ_MATRIX)
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_read_role_matrix(tenant, path, role):
    # when
    response = tenant.api(role).get(path)
    # then
    assert response.status_code == READ_MATRIX[path][role], response.content


WRITE_CASES = {
    "create client": (
        "post",
        "/api/v1/clients/",
        {"code": "newco", "name": "New Co"},
        {Role.ADMIN, Role.PM, "token"},  # the integrator token syncs clients
        201,
    ),
    "invite": ("post", "/api/v1/invitations/", {"email": "new@x.example", "role": "pm"}, {Role.ADMIN}, 201),
    "issue token": ("post", "/api/v1/api-tokens/", {"name": "ERP sync"}, {Role.ADMIN}, 201),
}


@pytest.mark.parametrize("case", WRITE_CASES)
@pytest.mark.parametrize("role", ROLES[1:], ids=str)
def test_write_role_matrix(tenant, case, role):
    method, path, body, allowed, success = WRITE_CASES[case]
    # when
    response = getattr(tenant.api(role), method)(path, body, format="json")
    # then
    expected = success if role in allowed else 403
    assert response.status_code == expected, response.content


def test_client_viewer_sees_only_their_client(tenant):
    # given a second client in the same organization
    from tests.factories import ClientFactory

    ClientFactory(organization=tenant.organization, code="second")
    # when
    rows = tenant.api(Role.CLIENT).get("/api/v1/clients/").json()["results"]
    # then
    assert [row["code"] for row in rows] == [tenant.client.code]


def foreign_objects(other_tenant):
    """One object of each core kind in the other organization."""
    admin = other_tenant.members[Role.ADMIN]
    from rollout.services import api_token_create
    from rollout.tenancy import Access

    access = Access(organization=other_tenant.organization, role=Role.ADMIN, user=admin.user, membership=admin)
    invitation = invitation_create(
        organization=other_tenant.organization, actor=access, email="x@y.example", role=Role.PM
    ).invitation
    token = api_token_create(organization=other_tenant.organization, actor=access, name="theirs").token
    return {
        "clients": other_tenant.client.pk,
        "memberships": other_tenant.members[Role.PM].pk,
        "invitations": invitation.pk,
        "api-tokens": token.pk,
    }


@pytest.mark.parametrize("caller", [Role.ADMIN, "token"], ids=str)
def test_other_organizations_objects_are_404_and_never_listed(tenant, other_tenant, caller):
    # given objects that belong to another organization
    foreign = foreign_objects(other_tenant)
    api = tenant.api(caller)
    for resource, pk in foreign.items():
        # when / then: detail reads, writes and actions all look like a missing object
        detail = api.get(f"/api/v1/{resource}/{pk}/")
        assert detail.status_code in (404, 403), (resource, detail.content)
        if caller == Role.ADMIN:
            assert detail.status_code == 404
            assert detail.json()["errors"][0]["code"] == "not_found"
            missing = api.get(f"/api/v1/{resource}/999999/")
            assert missing.json() == detail.json()
        listed = api.get(f"/api/v1/{resource}/")
        if listed.status_code == 200:
            assert pk not in [row["id"] for row in listed.json()["results"]]
    admin = tenant.api(Role.ADMIN)
    assert admin.post(f"/api/v1/invitations/{foreign['invitations']}/revoke/").status_code == 404
    assert admin.post(f"/api/v1/api-tokens/{foreign['api-tokens']}/revoke/").status_code == 404
    assert admin.patch(f"/api/v1/memberships/{foreign['memberships']}/", {"role": "admin"}).status_code == 404
    assert admin.patch(f"/api/v1/clients/{foreign['clients']}/", {"name": "mine"}).status_code == 404
    assert admin.delete(f"/api/v1/clients/{foreign['clients']}/").status_code == 404


def test_session_caller_cannot_pick_an_organization_they_do_not_belong_to(tenant, other_tenant):
    # given a PM of one organization
    api = tenant.api(Role.PM)
    # when they name another organization in the header
    response = api.get("/api/v1/clients/", HTTP_X_ORGANIZATION=other_tenant.organization.slug)
    # then it is as if that organization did not exist
    assert response.status_code == 404


def test_foreign_client_id_in_an_input_reads_as_does_not_exist(tenant, other_tenant):
    # when an admin invites a client viewer tied to another organization's client
    response = tenant.api(Role.ADMIN).post(
        "/api/v1/invitations/", {"email": "v@x.example", "role": "client", "client": other_tenant.client.pk}
    )
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "does_not_exist",
        "detail": f'Invalid pk "{other_tenant.client.pk}" - object does not exist.',
        "attr": "client",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/memberships/",
        "/api/v1/audit-events/",
        "/api/v1/api-tokens/",
        "/api/v1/invitations/",
        "/api/v1/clients/",
    ],
)
def test_lists_have_a_fixed_query_budget(tenant, path, django_assert_max_num_queries):
    # given many rows
    from tests.factories import ClientFactory, MembershipFactory

    api = tenant.api(Role.ADMIN)
    for n in range(15):
        MembershipFactory(organization=tenant.organization, role=Role.COORDINATOR)
        ClientFactory(organization=tenant.organization)
        api.post("/api/v1/invitations/", {"email": f"n{n}@x.example", "role": "pm"})
        api.post("/api/v1/api-tokens/", {"name": f"t{n}"})
    # when / then: session + membership + count + page, whatever the number of rows
    with django_assert_max_num_queries(8):
        response = api.get(path)
    assert response.status_code == 200
    assert response.json()["count"] >= 5
