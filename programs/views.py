"""Program pages: list, detail (waves, SOW versions, status moves), the SOW editor, approval and diff.

Every page derives from rollout/views/base.py (role check + `visible_to(access)`), so another
organization's program or SOW is a 404. Staff, integrators and client viewers read (clients only their
own client's programs, in the portal layout); PMs and admins write, always through programs.services,
and a service's refusal is shown next to the field it names.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect

from programs import selectors, services
from programs.choices import EvidenceKind, ProgramStatus
from programs.errors import SowApproved
from programs.filtersets import ProgramFilterSet
from programs.forms import ProgramForm, SowMaterialForm, SowNotesForm, SowTaskForm, TransitionForm, WaveForm
from programs.models import Program, ProgramAttribute, Sow, SowMaterial, SowTask, Wave
from programs.tables import ProgramTable
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, Role
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgDetailView, OrgFormView, OrgTemplateView

READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
ROLES = {"read": READ_ROLES, "write": PLANNER_ROLES}
PLANNERS_ONLY = {"read": PLANNER_ROLES, "write": PLANNER_ROLES}


class OneOfManySelect(forms.Select):
    """A plain select for a multiple-choice filter (the API takes ?status=a&status=b, the page picks one)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [value for value in values if value]


class ProgramsPageMixin:
    """The org URL helper, and the layout of the caller's role (client viewers get the portal)."""

    roles = ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = "layouts/portal.html" if self.access.role == Role.CLIENT else "layouts/staff.html"
        return context

    # Objects named by the URL, through the scoped querysets: another organization's is a 404.
    def get_program(self, pk=None) -> Program:
        return self.visible_or_404(Program.objects.select_related("client"), pk, "program")

    def get_sow(self, pk) -> Sow:
        return self.visible_or_404(Sow.objects.select_related("program", "program__client"), pk, "SOW")

    def get_line(self, model, pk):
        return self.visible_or_404(model.objects.select_related("sow", "sow__program"), pk, "line")


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


class ConfirmView(ProgramsPageMixin, OrgTemplateView):
    """The UI shell's confirmation pattern: GET shows what will happen, POST does it."""

    roles = PLANNERS_ONLY
    template_name = "components/confirm_page.html"

    def confirm(self) -> dict:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["confirm"] = {
            "tone": "primary",
            "icon": "question-circle",
            "fields": {},
            "details": [],
            **self.confirm(),
        }
        context["section"] = "programs"
        return context


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


# --- SOW versions -----------------------------------------------------------------------------------


class SowCreateView(ConfirmView):
    """Start the next SOW version (v1 empty, later ones a copy of the latest)."""

    def confirm(self):
        program = self.get_program(self.kwargs["pk"])
        latest = Sow.objects.visible_to(self.access).filter(program=program).order_by("-version").first()
        message = (
            f"Version {latest.version + 1} starts as a copy of version {latest.version}; edit it, then approve it."
            if latest
            else "Version 1 starts empty: add the tasks and materials, then approve it."
        )
        return {
            "title": f"Start a new SOW version for {program.code}?",
            "message": message,
            "action_label": "Start draft",
            "icon": "file-earmark-plus",
            "cancel_url": self.org_url("programs:program-detail", pk=program.pk),
        }

    def post(self, request, *args, **kwargs):
        program = self.get_program(self.kwargs["pk"])
        try:
            sow = services.sow_create_draft(**self.service_kwargs(), program_id=program.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(self.org_url("programs:program-detail", pk=program.pk))
        messages.success(request, f"Draft SOW v{sow.version} started.")
        return redirect(self.org_url("programs:sow-detail", pk=sow.pk))


class SowDetailView(ProgramsPageMixin, OrgDetailView):
    """A SOW version: read-only when approved (or for readers), the editor for a draft."""

    template_name = "programs/sow_detail.html"
    queryset = Sow.objects.with_summary().select_related("program__client")
    context_object_name = "sow"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sow = self.object
        editable = self.can_write() and sow.is_draft and sow.program.status != ProgramStatus.CLOSED
        others = list(
            Sow.objects.visible_to(self.access)
            .filter(program_id=sow.program_id)
            .exclude(pk=sow.pk)
            .order_by("-version")
        )
        context.update(
            program=sow.program,
            tasks=list(SowTask.objects.visible_to(self.access).filter(sow=sow).order_by("position", "id")),
            materials=list(SowMaterial.objects.visible_to(self.access).filter(sow=sow).order_by("position", "id")),
            editable=editable,
            other_versions=others,
            notes_form=SowNotesForm(initial={"notes": sow.notes}) if editable else None,
        )
        return context


class SowNotesView(ProgramsPageMixin, OrgFormView):
    roles = PLANNERS_ONLY
    form_class = SowNotesForm
    template_name = "programs/sow_notes.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(sow=self.get_sow(self.kwargs["pk"]), **kwargs)

    def form_valid(self, form):
        sow = self.get_sow(self.kwargs["pk"])
        try:
            services.sow_update(**self.service_kwargs(), sow_id=sow.pk, notes=form.cleaned_data["notes"])
        except ApplicationError as exc:
            messages.error(self.request, exc.message)
        else:
            messages.success(self.request, "Notes saved.")
        return redirect(self.org_url("programs:sow-detail", pk=sow.pk))


class SowApproveView(ConfirmView):
    def confirm(self):
        sow = self.get_sow(self.kwargs["pk"])
        tasks = SowTask.objects.visible_to(self.access).filter(sow=sow).count()
        materials = SowMaterial.objects.visible_to(self.access).filter(sow=sow).count()
        return {
            "title": f"Approve SOW v{sow.version} of {sow.program.code}?",
            "message": (
                "Approval freezes this version for good: nobody can change it afterwards, from any screen or the API. "
                "Packets are built from the latest approved version. Later changes need a new version."
            ),
            "details": [("Tasks", tasks), ("Materials", materials), ("Notes", sow.notes or "—")],
            "action_label": f"Approve v{sow.version}",
            "icon": "patch-check",
            "cancel_url": self.org_url("programs:sow-detail", pk=sow.pk),
        }

    def post(self, request, *args, **kwargs):
        sow = self.get_sow(self.kwargs["pk"])
        try:
            sow = services.sow_approve(**self.service_kwargs(), sow_id=sow.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"SOW v{sow.version} approved.")
        return redirect(self.org_url("programs:sow-detail", pk=sow.pk))


class SowDeleteView(ConfirmView):
    def confirm(self):
        sow = self.get_sow(self.kwargs["pk"])
        return {
            "title": f"Discard draft SOW v{sow.version}?",
            "message": "The draft and all its tasks and materials are deleted. Approved versions are not affected.",
            "action_label": "Discard draft",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.org_url("programs:sow-detail", pk=sow.pk),
        }

    def post(self, request, *args, **kwargs):
        sow = self.get_sow(self.kwargs["pk"])
        try:
            services.sow_delete(**self.service_kwargs(), sow_id=sow.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(self.org_url("programs:sow-detail", pk=sow.pk))
        messages.success(request, f"Draft v{sow.version} discarded.")
        return redirect(self.org_url("programs:program-detail", pk=sow.program_id))


class SowDiffView(ProgramsPageMixin, OrgDetailView):
    """What changed between two versions: ?against=<id> is the base, the URL's version the target."""

    template_name = "programs/sow_diff.html"
    queryset = Sow.objects.select_related("program")
    context_object_name = "sow"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        target = self.object
        versions = list(Sow.objects.visible_to(self.access).filter(program_id=target.program_id).order_by("-version"))
        raw = self.request.GET.get("against", "")
        base = None
        if raw.isdigit():
            base = Sow.objects.visible_to(self.access).filter(pk=int(raw)).first()
        if base is None:  # default: the version just before
            base = next((v for v in versions if v.version < target.version), None)
        context.update(program=target.program, versions=versions, base=base)
        if base is not None:
            context["diff"] = selectors.sow_diff(base, target)
        return context


# --- SOW lines --------------------------------------------------------------------------------------


class LineFormView(ProgramsPageMixin, OrgFormView):
    """Add a line to a draft (URL pk = SOW) or edit one (URL line = line); refusals show by their field."""

    roles = PLANNERS_ONLY
    model = None
    kind = ""  # "task" | "material"

    def get_line_or_none(self):
        return self.get_line(self.model, self.kwargs["line"]) if "line" in self.kwargs else None

    def get_sow_for_form(self) -> Sow:
        line = self.get_line_or_none()
        return line.sow if line else self.get_sow(self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "with_key": self.get_line_or_none() is None}

    def get(self, request, *args, **kwargs):
        sow = self.get_sow_for_form()
        if not sow.is_draft:
            messages.error(request, SowApproved.default_message)
            return redirect(self.org_url("programs:sow-detail", pk=sow.pk))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        sow = self.get_sow_for_form()
        return super().get_context_data(sow=sow, program=sow.program, line=self.get_line_or_none(), **kwargs)

    def form_valid(self, form):
        line = self.get_line_or_none()
        sow = self.get_sow_for_form()
        values = dict(form.cleaned_data)
        if not values.get("key"):
            values.pop("key", None)
        try:
            self.save(line, sow, values)
        except ApplicationError as exc:
            if exc.field is None:
                messages.error(self.request, exc.message)
                return redirect(self.org_url("programs:sow-detail", pk=sow.pk))
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.kind.capitalize()} saved.")
        return redirect(self.org_url("programs:sow-detail", pk=sow.pk) + f"#{self.kind}s")


class SowTaskFormView(LineFormView):
    model = SowTask
    kind = "task"
    form_class = SowTaskForm
    template_name = "programs/sow_task_form.html"

    def get_initial(self):
        line = self.get_line_or_none()
        if line is None:
            return {"evidence_kind": EvidenceKind.NONE}
        names = [name for name in services.TASK_FIELDS if name not in ("key", "position")]
        return {name: getattr(line, name) for name in names}

    def save(self, line, sow, values):
        if line is None:
            services.sow_task_add(**self.service_kwargs(), sow_id=sow.pk, **values)
        else:
            services.sow_task_update(**self.service_kwargs(), task_id=line.pk, **values)


class SowMaterialFormView(LineFormView):
    model = SowMaterial
    kind = "material"
    form_class = SowMaterialForm
    template_name = "programs/sow_material_form.html"

    def get_initial(self):
        line = self.get_line_or_none()
        if line is None:
            return {}
        return {name: getattr(line, name) for name in ("part_number", "description", "quantity", "unit", "condition")}

    def save(self, line, sow, values):
        if line is None:
            services.sow_material_add(**self.service_kwargs(), sow_id=sow.pk, **values)
        else:
            services.sow_material_update(**self.service_kwargs(), material_id=line.pk, **values)


class SowTaskMoveView(ProgramsPageMixin, OrgTemplateView):
    """POST only: move a draft's task one place up or down (the editor's arrow buttons)."""

    roles = PLANNERS_ONLY
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        task = self.get_line(SowTask, self.kwargs["line"])
        offset = -1 if request.POST.get("direction") == "up" else 1
        try:
            services.sow_task_move(**self.service_kwargs(), task_id=task.pk, offset=offset)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect(self.org_url("programs:sow-detail", pk=task.sow_id) + "#tasks")


class LineDeleteView(ConfirmView):
    model = None
    kind = ""

    def confirm(self):
        line = self.get_line(self.model, self.kwargs["line"])
        return {
            "title": f"Remove “{line}” from SOW v{line.sow.version}?",
            "message": f"The {self.kind} is removed from this draft only; approved versions keep theirs.",
            "action_label": f"Remove {self.kind}",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.org_url("programs:sow-detail", pk=line.sow_id),
        }

    def post(self, request, *args, **kwargs):
        line = self.get_line(self.model, self.kwargs["line"])
        try:
            if self.model is SowTask:
                services.sow_task_delete(**self.service_kwargs(), task_id=line.pk)
            else:
                services.sow_material_delete(**self.service_kwargs(), material_id=line.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{self.kind.capitalize()} removed.")
        return redirect(self.org_url("programs:sow-detail", pk=line.sow_id) + f"#{self.kind}s")


class SowTaskDeleteView(LineDeleteView):
    model = SowTask
    kind = "task"


class SowMaterialDeleteView(LineDeleteView):
    model = SowMaterial
    kind = "material"
