from rollout.choices import Role


def test_me_reports_the_callers_organization_and_role(tenant):
    # given a PM of one organization
    api = tenant.api(Role.PM)
    # when they ask who they are
    response = api.get("/api/v1/me/")
    # then
    assert response.status_code == 200, response.content
    assert response.json()["organization"]["slug"] == tenant.organization.slug
    assert response.json()["role"] == "pm"
