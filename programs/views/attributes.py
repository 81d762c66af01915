"""A program's attribute schema: the editor, the problem list of enrolled sites, and a site import checked
against the schema."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.functional import cached_property

from programs import attributes, selectors
from programs.forms import (
    ProgramAttributeForm,
    ProgramSiteImportForm,
)
from programs.models import ProgramAttribute
from programs.views.base import PLANNERS_ONLY, ConfirmView, ProgramPageMixin, ProgramsPageMixin
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.views.base import OrgFormView, OrgTemplateView
from sites import services as site_services

PROBLEMS_PER_PAGE = 50


# --- Attribute schema -------------------------------------------------------------------------------


class ProgramAttributesView(ProgramPageMixin, OrgTemplateView):
    """The program's attribute schema: what every enrolled site is expected to carry."""

    template_name = "programs/attributes.html"
    tab = "attributes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["attributes"] = list(
            ProgramAttribute.objects.visible_to(self.access).filter(program=self.program).order_by("name")
        )
        return context


class ProgramAttributeFormView(ProgramsPageMixin, OrgFormView):
    """Declare an attribute (URL pk = program) or change one (URL attribute = attribute)."""

    roles = PLANNERS_ONLY
    form_class = ProgramAttributeForm
    template_name = "programs/attribute_form.html"

    @cached_property
    def attribute(self) -> ProgramAttribute | None:
        if "attribute" not in self.kwargs:
            return None
        return self.visible_or_404(
            ProgramAttribute.objects.select_related("program"), self.kwargs["attribute"], "attribute"
        )

    @cached_property
    def program(self):
        return self.attribute.program if self.attribute else self.get_program(self.kwargs["pk"])

    def get_initial(self):
        if self.attribute is None:
            return {}
        values = {name: getattr(self.attribute, name) for name in attributes.ATTRIBUTE_FIELDS}
        values["allowed_values"] = "\n".join(self.attribute.allowed_values)
        return values

    def get_context_data(self, **kwargs):
        return super().get_context_data(program=self.program, attribute=self.attribute, **kwargs)

    def form_valid(self, form):
        values = dict(form.cleaned_data)
        try:
            if self.attribute is None:
                attributes.program_attribute_add(**self.service_kwargs(), program_id=self.program.pk, **values)
            else:
                attributes.program_attribute_update(**self.service_kwargs(), attribute_id=self.attribute.pk, **values)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Attribute “{values['name']}” saved.")
        return redirect(self.org_url("programs:program-attributes", pk=self.program.pk))


class ProgramAttributeDeleteView(ConfirmView):
    def get_attribute(self) -> ProgramAttribute:
        return self.visible_or_404(
            ProgramAttribute.objects.select_related("program"), self.kwargs["attribute"], "attribute"
        )

    def confirm(self):
        attribute = self.get_attribute()
        return {
            "title": f"Stop expecting “{attribute.name}”?",
            "message": "Sites keep their values; they are just no longer checked against this attribute.",
            "details": [("Program", attribute.program.name), ("Type", attribute.get_type_display())],
            "action_label": "Delete attribute",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.org_url("programs:program-attributes", pk=attribute.program_id),
        }

    def post(self, request, *args, **kwargs):
        attribute = self.get_attribute()
        try:
            attributes.program_attribute_delete(**self.service_kwargs(), attribute_id=attribute.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Attribute “{attribute.name}” deleted.")
        return redirect(self.org_url("programs:program-attributes", pk=attribute.program_id))


class AttributeProblemsView(ProgramPageMixin, OrgTemplateView):
    """Enrolled sites whose attributes break the schema, by site code, paginated."""

    template_name = "programs/attribute_problems.html"
    tab = "attributes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = selectors.program_attribute_problems(organization=self.access.organization, program_id=self.program.pk)
        context.update(
            report=report,
            page=Paginator(report.sites, PROBLEMS_PER_PAGE).get_page(self.request.GET.get("page")),
        )
        return context


class ProgramSiteImportView(ProgramPageMixin, OrgFormView):
    """Upload a site file for the program's client, checked against the program's attribute schema."""

    roles = PLANNERS_ONLY
    form_class = ProgramSiteImportForm
    template_name = "programs/site_import.html"
    tab = "attributes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schema"] = selectors.program_attribute_schema(
            organization=self.access.organization, program_id=self.program.pk
        )
        return context

    def form_valid(self, form):
        schema = selectors.program_site_schema(organization=self.access.organization, program_id=self.program.pk)
        try:
            site_import = site_services.site_import_create(
                organization=self.access.organization,
                actor=self.access,
                client=self.program.client,
                upload=form.cleaned_data["file"],
                attribute_schema=schema,
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        return redirect(self.org_url("sites:site-import-page", pk=site_import.pk))
