"""The skills catalogue: list, create, edit, (de)activate."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect

from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgFormView
from technicians import services
from technicians.filtersets import (
    SkillFilterSet,
)
from technicians.forms import (
    SkillForm,
)
from technicians.models import Skill
from technicians.tables import SkillTable
from technicians.views.base import WRITERS_ONLY, ConfirmView, TechniciansPageMixin, active_filter

# --- Skills -----------------------------------------------------------------------------------------


class SkillListView(TechniciansPageMixin, OrgTableView):
    """The skills catalogue: what SOW tasks may require, and whether it needs a certification."""

    template_name = "technicians/skill_list.html"
    queryset = Skill.objects.with_counts()
    filterset_class = SkillFilterSet
    table_class = SkillTable
    section = "skills"

    def prepare_filter_form(self, form):
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Name or slug"})
        form.fields["requires_certification"].label = "Certification"
        form.fields["requires_certification"].widget.choices = [
            ("", "Any"),
            ("true", "Required"),
            ("false", "Not required"),
        ]
        active_filter(form)
        form.fields["active"].widget.choices = [("", "Any status"), ("true", "Active"), ("false", "Retired")]


class SkillFormView(TechniciansPageMixin, OrgFormView):
    """Add a skill, or edit one (URL pk: not its slug, which SOW tasks refer to)."""

    roles = WRITERS_ONLY
    form_class = SkillForm
    template_name = "technicians/skill_form.html"
    section = "skills"

    def skill(self) -> Skill | None:
        return self.get_skill(self.kwargs["pk"]) if "pk" in self.kwargs else None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "with_slug": self.skill() is None}

    def get_initial(self):
        skill = self.skill()
        return {} if skill is None else {name: getattr(skill, name) for name in services.SKILL_UPDATABLE}

    def get_context_data(self, **kwargs):
        return super().get_context_data(skill=self.skill(), **kwargs)

    def form_valid(self, form):
        skill = self.skill()
        try:
            if skill is None:
                skill = services.skill_create(**self.service_kwargs(), **form.cleaned_data)
            else:
                changes = {name: form.cleaned_data[name] for name in form.changed_data}
                skill = services.skill_update(**self.service_kwargs(), skill_id=skill.pk, **changes)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Skill “{skill.name}” saved.")
        return redirect(self.org_url("technicians:skills"))


class SkillStatusView(ConfirmView):
    section = "skills"

    def confirm(self):
        skill = self.get_skill(self.kwargs["pk"])
        if skill.active:
            return {
                "title": f"Retire the skill “{skill.name}”?",
                "message": "It is no longer offered when editing technicians. Technicians who have it keep it, and "
                "work that requires it still finds them.",
                "action_label": "Retire skill",
                "tone": "danger",
                "icon": "archive",
                "cancel_url": self.org_url("technicians:skill-edit", pk=skill.pk),
            }
        return {
            "title": f"Bring back the skill “{skill.name}”?",
            "message": "It is offered again when editing technicians.",
            "action_label": "Reactivate skill",
            "icon": "arrow-counterclockwise",
            "cancel_url": self.org_url("technicians:skill-edit", pk=skill.pk),
        }

    def post(self, request, *args, **kwargs):
        skill = self.get_skill(self.kwargs["pk"])
        skill = services.skill_set_active(**self.service_kwargs(), skill_id=skill.pk, active=not skill.active)
        messages.success(request, f"Skill “{skill.name}” {'reactivated' if skill.active else 'retired'}.")
        return redirect(self.org_url("technicians:skills"))
