"""Pages of the demo a PM and a coordinator work with: the Packets tab lists its current packets (paginated), the
SOW task form offers the skills catalogue, the import page offers a CSV template that the dry run accepts, and the
dispatch board folds its filters into a "Filters" button on a phone."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from programs.forms import SowTaskForm
from programs.models import Program, Sow
from rollout.choices import Role
from rollout.models import Client, Membership, Organization
from rollout.tenancy import Access
from sites.exporting import TEMPLATE_EXAMPLE, import_template_csv
from sites.import_jobs import site_import_validation_run
from sites.services import site_import_create
from technicians.models import Skill
from workorders.models import Packet

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client):
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    client.force_login(Membership.objects.filter(organization=northwind, role=Role.PM).first().user)
    return northwind


def test_packets_tab_lists_current_packets_paginated(client, demo):
    program = Program.objects.for_organization(demo).get(code="sco-2026")
    current = Packet.objects.for_organization(demo).filter(work_order__program=program).current().count()
    response = client.get(reverse("packets:program-packets", kwargs={"org": demo.slug, "pk": program.pk}))
    page = response.context["current_page"]
    assert page.paginator.count == current
    assert len(page.object_list) == min(current, 50)
    if current:
        assert page.object_list[0].work_order.number in response.content.decode()


def test_sow_task_form_offers_the_skills_catalogue(client, demo):
    # a draft SOW's new-task page, or the form itself when the demo's SOWs are all approved
    sow = Sow.objects.for_organization(demo).filter(status="draft").first()
    if sow is not None:
        response = client.get(reverse("programs:sow-task-create", kwargs={"org": demo.slug, "pk": sow.pk}))
        form = response.context["form"]
        assert '<select name="required_skill"' in response.content.decode()
    else:
        form = SowTaskForm(organization=demo)
    slugs = {value for value, _ in form.fields["required_skill"].choices if value}
    assert slugs == set(Skill.objects.for_organization(demo).values_list("slug", flat=True))
    # a slug a task already names but the catalogue lost stays choosable
    kept = SowTaskForm(organization=demo, initial={"required_skill": "retired-skill"})
    assert "retired-skill" in {value for value, _ in kept.fields["required_skill"].choices}


def test_import_page_offers_a_csv_template(client, demo):
    page = client.get(reverse("sites:site-imports", kwargs={"org": demo.slug}))
    url = reverse("sites:site-import-template", kwargs={"org": demo.slug})
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [{column: TEMPLATE_EXAMPLE.get(column, "") for column in rows[0]}]
    assert {"code", "name", "postal_code", "access_hours"} <= set(rows[0])


def test_dispatch_filters_fold_into_a_button_on_small_screens(client, demo):
    coordinator = Membership.objects.filter(organization=demo, role=Role.COORDINATOR).first().user
    client.force_login(coordinator)
    html = client.get(reverse("visits:dispatch", kwargs={"org": demo.slug})).content.decode()
    assert 'data-bs-target="#board-filters"' in html
    assert 'id="board-filters"' in html and "collapse d-md-block" in html


def test_the_import_template_passes_the_dry_run(demo):
    # given the template uploaded as it is, by the demo's admin
    admin = Membership.objects.filter(organization=demo, role=Role.ADMIN).first()
    access = Access(organization=demo, role=admin.role, user=admin.user, membership=admin)
    client_row = Client.objects.for_organization(demo).first()
    upload = SimpleUploadedFile("template.csv", import_template_csv().encode(), content_type="text/csv")
    site_import = site_import_create(organization=demo, actor=access, client=client_row, upload=upload)
    # when the dry run reads it
    site_import_validation_run(organization_id=demo.pk, import_id=site_import.pk)
    site_import.refresh_from_db()
    # then it finds no problem
    assert site_import.error_count == 0, site_import.errors[:3]
