"""Program pages: list, detail (waves, SOW versions, status moves), create, edit, status moves, and waves.

Every page derives from rollout/views/base.py (role check + `visible_to(access)`), so another
organization's program is a 404. Staff, integrators and client viewers read (clients only their
own client's programs, in the portal layout); PMs and admins write, always through programs.services,
and a service's refusal is shown next to the field it names."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect

from programs import selectors, services
from programs.choices import ProgramStatus
from programs.filtersets import (
    ProgramFilterSet,
)
from programs.forms import (
    ProgramForm,
    TransitionForm,
    WaveForm,
)
from programs.models import Program, ProgramAttribute, Sow, Wave
from programs.tables import ProgramTable
from programs.views.base import PLANNERS_ONLY, ConfirmView, ProgramsPageMixin
from rollout.choices import Role
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgDetailView, OrgFormView


class OneOfManySelect(forms.Select):
    """A plain select for a multiple-choice filter (the API takes ?status=a&status=b, the page picks one)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [value for value in values if value]


# --- Programs ---------------------------------------------------------------------------------------


class ProgramListView(ProgramsPageMixin, OrgTableView):
    """Programs with filters (the API's FilterSet), sorting and pagination."""

    template_name = "programs/program_list.html"
    queryset = Program.objects.with_summary()
    filterset_class = ProgramFilterSet
    table_class = ProgramTable

    def prepare_filter_form(self, form):
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Code, name or client"})
        form.fields["client"].empty_label = "Any client"
        form.fields["responsible_pm"].empty_label = "Any PM"
        form.fields["status"].widget = OneOfManySelect(choices=[("", "Any status"), *ProgramStatus.choices])
        del form.fields["code"]
        del form.fields["active_on"]
        if self.access.role == Role.CLIENT:
            del form.fields["client"]
            del form.fields["responsible_pm"]
        form.order_fields(["q", "client", "status", "responsible_pm"])


class ProgramDetailView(ProgramsPageMixin, OrgDetailView):
    """One program: its details, status moves, waves and SOW versions."""

    template_name = "programs/program_detail.html"
    queryset = Program.objects.with_summary()
    context_object_name = "program"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        program = self.object
        sows = list(Sow.objects.visible_to(self.access).with_summary().filter(program=program).order_by("-version"))
        wave_counts = selectors.enrollment_counts(access=self.access, program=program)
        context.update(
            waves=list(Wave.objects.visible_to(self.access).filter(program=program).order_by("order", "start_date")),
            sows=sows,
            has_draft=any(sow.is_draft for sow in sows),
            moves=[ProgramStatus(status) for status in services.program_allowed_moves(program)],
            is_open=program.status != ProgramStatus.CLOSED,
            lifecycle=ProgramStatus.choices,
            tab="overview",
            wave_counts=wave_counts,
            enrolled_total=sum(count.count for count in wave_counts),
            variation_counts=selectors.site_variation_counts(access=self.access, program=program),
            attribute_count=ProgramAttribute.objects.visible_to(self.access).filter(program=program).count(),
        )
        return context


class ProgramFormMixin(ProgramsPageMixin):
    roles = PLANNERS_ONLY
    form_class = ProgramForm
    template_name = "programs/program_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}


class ProgramCreateView(ProgramFormMixin, OrgFormView):
    def form_valid(self, form):
        try:
            program = services.program_create(**self.service_kwargs(), **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Program {program.code} created.")
        return redirect(self.org_url("programs:program-detail", pk=program.pk))


class ProgramEditView(ProgramFormMixin, OrgFormView):
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "with_client": False}

    def get_initial(self):
        program = self.get_program(self.kwargs["pk"])
        return {name: getattr(program, name) for name in services.PROGRAM_UPDATABLE}

    def get_context_data(self, **kwargs):
        return super().get_context_data(program=self.get_program(self.kwargs["pk"]), **kwargs)

    def form_valid(self, form):
        program = self.get_program(self.kwargs["pk"])
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.program_update(**self.service_kwargs(), program_id=program.pk, **changes)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Program saved." if changes else "Nothing changed.")
        return redirect(self.org_url("programs:program-detail", pk=program.pk))


class ProgramTransitionView(ProgramsPageMixin, OrgFormView):
    """Move a program's status: GET asks for confirmation (with an optional reason), POST does it."""

    roles = PLANNERS_ONLY
    form_class = TransitionForm
    template_name = "programs/program_transition.html"

    def get_initial(self):
        return {"to_status": self.request.GET.get("to", "")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        program = self.get_program(self.kwargs["pk"])
        to_status = self.request.GET.get("to") or self.request.POST.get("to_status")
        if to_status not in ProgramStatus.values:
            raise Http404("No such status.")
        context.update(program=program, to_status=ProgramStatus(to_status))
        return context

    def form_valid(self, form):
        program = self.get_program(self.kwargs["pk"])
        try:
            program = services.program_transition(
                **self.service_kwargs(),
                program_id=program.pk,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(self.request, exc.message)
        else:
            messages.success(self.request, f"Program {program.code} is now {program.get_status_display().lower()}.")
        return redirect(self.org_url("programs:program-detail", pk=program.pk))


# --- Waves ------------------------------------------------------------------------------------------


class WaveFormView(ProgramsPageMixin, OrgFormView):
    """Add a wave to a program (URL pk = program) or edit one (URL wave = wave)."""

    roles = PLANNERS_ONLY
    form_class = WaveForm
    template_name = "programs/wave_form.html"

    def get_wave(self) -> Wave | None:
        if "wave" not in self.kwargs:
            return None
        return self.visible_or_404(Wave.objects.select_related("program"), self.kwargs["wave"], "wave")

    def get_program_for_form(self) -> Program:
        wave = self.get_wave()
        return wave.program if wave else self.get_program(self.kwargs["pk"])

    def get_initial(self):
        wave = self.get_wave()
        if wave is None:
            return {}
        return {"name": wave.name, "order": wave.order, "start_date": wave.start_date, "end_date": wave.end_date}

    def get_context_data(self, **kwargs):
        return super().get_context_data(program=self.get_program_for_form(), wave=self.get_wave(), **kwargs)

    def form_valid(self, form):
        wave, program = self.get_wave(), self.get_program_for_form()
        values = dict(form.cleaned_data)
        try:
            if wave is None:
                services.wave_create(**self.service_kwargs(), program_id=program.pk, **values)
            else:
                if values.get("order") is None:
                    values.pop("order")
                services.wave_update(**self.service_kwargs(), wave_id=wave.pk, **values)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Wave “{values['name']}” saved.")
        return redirect(self.org_url("programs:program-detail", pk=program.pk))


class WaveDeleteView(ConfirmView):
    def get_wave(self) -> Wave:
        return self.visible_or_404(Wave.objects.select_related("program"), self.kwargs["wave"], "wave")

    def confirm(self):
        wave = self.get_wave()
        return {
            "title": f"Delete wave “{wave.name}”?",
            "message": "The wave is removed from the program plan. Sites enrolled in it must be moved first.",
            "details": [("Program", wave.program.name), ("Dates", f"{wave.start_date} – {wave.end_date}")],
            "action_label": "Delete wave",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.org_url("programs:program-detail", pk=wave.program_id),
        }

    def post(self, request, *args, **kwargs):
        wave = self.get_wave()
        try:
            services.wave_delete(**self.service_kwargs(), wave_id=wave.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Wave “{wave.name}” deleted.")
        return redirect(self.org_url("programs:program-detail", pk=wave.program_id))
