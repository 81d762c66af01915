"""A program's attribute schema: services, the schema in the site import's form, and the problems selector."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs import attributes, selectors
from programs.errors import ProgramClosed
from programs.models import ProgramAttribute
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent
from sites.attributes import AttributeSchema
from tests.programs.factories import EnrollmentFactory, ProgramAttributeFactory, ProgramFactory
from tests.sites.factories import SiteFactory


def add(tenant, pm, program, name, **fields):
    return attributes.program_attribute_add(
        organization=tenant.organization, actor=pm, program_id=program.pk, name=name, **fields
    )


def test_add_update_delete_are_checked_and_audited(tenant, pm, program):
    # given a PM
    # when they declare a choice, change it, and delete it
    attribute = add(tenant, pm, program, "store_format", type="choice", allowed_values=[" mall ", "street", ""])
    attributes.program_attribute_update(
        organization=tenant.organization, actor=pm, attribute_id=attribute.pk, required=True, label="Format"
    )
    attribute.refresh_from_db()
    snapshot = (attribute.label, attribute.allowed_values, attribute.required)
    attributes.program_attribute_delete(organization=tenant.organization, actor=pm, attribute_id=attribute.pk)
    # then values were cleaned (label from the name, blank values dropped), and every step audited
    assert snapshot == ("Format", ["mall", "street"], True)
    assert not ProgramAttribute.objects.exists()
    verbs = list(AuditEvent.objects.filter(target_id=str(attribute.pk)).order_by("id").values_list("verb", flat=True))
    assert verbs == ["program_attribute.added", "program_attribute.updated", "program_attribute.deleted"]


def test_a_label_defaults_from_the_name_and_other_types_keep_no_allowed_values(tenant, pm, program):
    # when an int attribute is declared with allowed values
    attribute = add(tenant, pm, program, "ceiling_height", type="int", allowed_values=["1"])
    # then
    assert (attribute.label, attribute.allowed_values) == ("Ceiling height", [])


@pytest.mark.parametrize(
    ("name", "fields", "field", "code"),
    [
        ("Store Format", {}, "name", "invalid_name"),
        ("1floor", {}, "name", "invalid_name"),
        ("taken", {}, "name", "duplicate_name"),
        ("kind", {"type": "date"}, "type", "invalid_choice"),
        ("kind", {"type": "choice"}, "allowed_values", "required"),
        ("kind", {"type": "choice", "allowed_values": ["a", "a"]}, "allowed_values", "duplicate_value"),
        ("kind", {"type": "choice", "allowed_values": [1, 2]}, "allowed_values", "invalid"),
    ],
)
def test_bad_attributes_are_refused_by_field(tenant, pm, program, name, fields, field, code):
    # given an attribute named "taken"
    ProgramAttributeFactory(program=program, name="taken")
    # when / then
    with pytest.raises(ApplicationError) as caught:
        add(tenant, pm, program, name, **fields)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_renaming_onto_another_name_is_refused(tenant, pm, program):
    # given two attributes
    ProgramAttributeFactory(program=program, name="floors")
    other = ProgramAttributeFactory(program=program, name="format")
    # when / then
    with pytest.raises(ApplicationError) as caught:
        attributes.program_attribute_update(
            organization=tenant.organization, actor=pm, attribute_id=other.pk, name="floors"
        )
    assert caught.value.code == "duplicate_name"


def test_another_organizations_attribute_and_a_closed_program(tenant, other_tenant, pm, program):
    # given another organization's attribute, and a closed program of ours
    foreign = ProgramAttributeFactory(program=ProgramFactory(organization=other_tenant.organization))
    program.status = "closed"
    program.save()
    # when / then
    with pytest.raises(NotFound):
        attributes.program_attribute_delete(organization=tenant.organization, actor=pm, attribute_id=foreign.pk)
    with pytest.raises(ProgramClosed):
        add(tenant, pm, program, "floors")
    assert ProgramAttribute.objects.filter(pk=foreign.pk).exists()


def test_the_schema_in_the_site_imports_form(tenant, pm, program):
    # given a program with a choice, a required int and an optional bool
    add(tenant, pm, program, "store_format", type="choice", allowed_values=["mall", "street"], required=True)
    add(tenant, pm, program, "floors", type="int", required=True)
    add(tenant, pm, program, "has_basement", type="bool")
    # when it is turned into the import's plain data
    schema = selectors.program_attribute_schema(organization=tenant.organization, program_id=program.pk)
    # then it is exactly the shape SiteImport.attribute_schema holds, and the sites app reads it back
    assert schema == [
        {"name": "floors", "type": "int", "required": True, "allowed": []},
        {"name": "has_basement", "type": "bool", "required": False, "allowed": []},
        {"name": "store_format", "type": "str", "required": True, "allowed": ["mall", "street"]},
    ]
    assert AttributeSchema.from_json(schema).to_json() == schema
    empty = ProgramFactory(organization=tenant.organization, client=tenant.client)
    assert selectors.program_attribute_schema(organization=tenant.organization, program_id=empty.pk) is None


def enroll_site(program, attributes, code):
    site = SiteFactory(organization=program.organization, client=program.client, code=code, attributes=attributes)
    return EnrollmentFactory(program=program, site=site)


def test_problems_per_site_by_kind(tenant, pm, program):
    # given a schema, and enrolled sites that break it in each way
    add(tenant, pm, program, "store_format", type="choice", allowed_values=["mall", "street"], required=True)
    add(tenant, pm, program, "floors", type="int", required=True)
    add(tenant, pm, program, "ceiling_m", type="float")
    enroll_site(program, {"store_format": "mall", "floors": 2, "ceiling_m": 4}, "A-OK")
    enroll_site(program, {"floors": 2}, "B-MISSING")
    enroll_site(program, {"store_format": "kiosk", "floors": "two", "ceiling_m": 3.5}, "C-BAD")
    SiteFactory(organization=tenant.organization, client=tenant.client, attributes={})  # not enrolled
    # when the problems are listed
    report = selectors.program_attribute_problems(organization=tenant.organization, program_id=program.pk)
    # then each problem site is listed by code with its problems (an int is a fine float)
    assert (report.sites_checked, report.attributes_declared, report.problem_count) == (3, 3, 3)
    assert [site.site_code for site in report.sites] == ["B-MISSING", "C-BAD"]
    assert [(p.attribute, p.code) for p in report.sites[0].problems] == [("store_format", "missing")]
    assert {(p.attribute, p.code) for p in report.sites[1].problems} == {
        ("store_format", "not_allowed"),
        ("floors", "wrong_type"),
    }
    assert "“kiosk” is not allowed for store_format: use one of mall, street." in [
        p.message for p in report.sites[1].problems
    ]


def test_no_schema_means_no_problems(tenant, program):
    # given enrolled sites and no declared attribute
    enroll_site(program, {}, "A")
    # when / then
    report = selectors.program_attribute_problems(organization=tenant.organization, program_id=program.pk)
    assert (report.sites_checked, report.sites) == (1, ())


def test_problems_of_another_organizations_program_are_not_found(tenant, other_tenant):
    foreign = ProgramFactory(organization=other_tenant.organization)
    with pytest.raises(NotFound):
        selectors.program_attribute_problems(organization=tenant.organization, program_id=foreign.pk)


def test_the_problems_query_count_does_not_grow_with_the_sites(tenant, pm, program):
    # given a schema and 5 enrolled sites, then 60
    add(tenant, pm, program, "floors", type="int", required=True)
    for n in range(5):
        enroll_site(program, {}, f"S{n}")
    with CaptureQueriesContext(connection) as few:
        selectors.program_attribute_problems(organization=tenant.organization, program_id=program.pk)
    for n in range(5, 60):
        enroll_site(program, {}, f"S{n}")
    # when checked again
    with CaptureQueriesContext(connection) as many:
        report = selectors.program_attribute_problems(organization=tenant.organization, program_id=program.pk)
    # then the same number of queries
    assert len(many.captured_queries) == len(few.captured_queries) <= 3
    assert len(report.sites) == 60
