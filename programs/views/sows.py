"""SOW pages: a version's detail, notes, approval, deletion and diff, and the editor of its tasks and materials.

An approved version is read-only here as in programs.sows; PMs and admins write, a service's refusal
is shown next to the field it names."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect

from programs import selectors, sows
from programs.choices import TASK_CONTENT_FIELDS, EvidenceKind, ProgramStatus
from programs.errors import SowApproved
from programs.forms import (
    SowMaterialForm,
    SowNotesForm,
    SowTaskForm,
)
from programs.models import Sow, SowMaterial, SowTask
from programs.views.base import PLANNERS_ONLY, ConfirmView, ProgramsPageMixin
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.views.base import OrgDetailView, OrgFormView, OrgTemplateView

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
            sow = sows.sow_create_draft(**self.service_kwargs(), program_id=program.pk)
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
            sows.sow_update(**self.service_kwargs(), sow_id=sow.pk, notes=form.cleaned_data["notes"])
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
            sow = sows.sow_approve(**self.service_kwargs(), sow_id=sow.pk)
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
            sows.sow_delete(**self.service_kwargs(), sow_id=sow.pk)
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

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def get_initial(self):
        line = self.get_line_or_none()
        if line is None:
            return {"evidence_kind": EvidenceKind.NONE}
        return {name: getattr(line, name) for name in TASK_CONTENT_FIELDS}

    def save(self, line, sow, values):
        if line is None:
            sows.sow_task_add(**self.service_kwargs(), sow_id=sow.pk, **values)
        else:
            sows.sow_task_update(**self.service_kwargs(), task_id=line.pk, **values)


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
            sows.sow_material_add(**self.service_kwargs(), sow_id=sow.pk, **values)
        else:
            sows.sow_material_update(**self.service_kwargs(), material_id=line.pk, **values)


class SowTaskMoveView(ProgramsPageMixin, OrgTemplateView):
    """POST only: move a draft's task one place up or down (the editor's arrow buttons)."""

    roles = PLANNERS_ONLY
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        task = self.get_line(SowTask, self.kwargs["line"])
        offset = -1 if request.POST.get("direction") == "up" else 1
        try:
            sows.sow_task_move(**self.service_kwargs(), task_id=task.pk, offset=offset)
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
                sows.sow_task_delete(**self.service_kwargs(), task_id=line.pk)
            else:
                sows.sow_material_delete(**self.service_kwargs(), material_id=line.pk)
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
