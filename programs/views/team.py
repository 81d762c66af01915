"""The program's team page: the courses it requires of each role, and who in each role is qualified today.

Staff read it (clients do not see the team); PMs and admins add or remove a requirement, through
programs.training. A technician shown "not qualified" here is refused for the program's work by the same rule
(technicians.selectors), which booking, assignment and the candidate picker apply.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone

from programs import training
from programs.models import ProgramCourseRequirement
from programs.views.base import ProgramPageMixin
from rollout.choices import PLANNER_ROLES, STAFF_ROLES
from rollout.errors import ApplicationError
from rollout.forms import StyledFormMixin, add_service_error
from rollout.views.base import OrgTemplateView
from technicians.choices import TRAINING_ROLE_CHOICES
from technicians.models import Course
from technicians.selectors import course_choices

TEAM_ROLES = {"read": STAFF_ROLES, "write": PLANNER_ROLES}


class RequirementForm(StyledFormMixin, forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), empty_label="Choose a course")
    role = forms.ChoiceField(label="Required of", choices=TRAINING_ROLE_CHOICES)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = course_choices(organization=organization)


class ProgramTeamView(ProgramPageMixin, OrgTemplateView):
    """Required courses per role, and each person of those roles with what they hold or lack; POST adds one."""

    template_name = "programs/program_team.html"
    tab = "team"
    roles = TEAM_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["team"] = training.program_team(
            organization=self.access.organization, program=self.program, on=timezone.localdate()
        )
        context.setdefault("form", RequirementForm(organization=self.access.organization))
        return context

    def post(self, request, *args, **kwargs):
        form = RequirementForm(request.POST, organization=self.access.organization)
        if form.is_valid():
            try:
                requirement = training.program_course_requirement_add(
                    **self.service_kwargs(),
                    program_id=self.program.pk,
                    course_id=form.cleaned_data["course"].pk,
                    role=form.cleaned_data["role"],
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"“{requirement.course.name}” is now required.")
                return redirect(self.org_url("programs:program-team", pk=self.program.pk))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ProgramRequirementRemoveView(ProgramPageMixin, OrgTemplateView):
    """POST: stop requiring a course (the requirement must be this program's, in this organization)."""

    roles = {"read": PLANNER_ROLES, "write": PLANNER_ROLES}
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        requirement = self.visible_or_404(
            ProgramCourseRequirement.objects.select_related("course"),
            kwargs["requirement"],
            "requirement",
            program=self.program,
        )
        try:
            training.program_course_requirement_remove(**self.service_kwargs(), requirement_id=requirement.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{requirement.course.name}” is no longer required.")
        return redirect(self.org_url("programs:program-team", pk=self.program.pk))
