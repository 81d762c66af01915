"""Packet pages under /o/<org>/: a program's packets (generate for the program or a wave), a generation job
with its progress bar (htmx polls every second) and ZIP, one packet version as a phone page with its PDF and
acknowledgement, the QR code's landing page, and the controlled re-issue (preview with diffs, confirm, result).

Thin: scoped base classes, one service per action. PDFs and ZIPs are streamed only after the scoped lookup,
so another organization's (or another technician's) file is a 404 like a missing one.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views.generic import View
from django.views.generic.detail import SingleObjectMixin

from programs.models import Program, Wave
from rollout.choices import FULL_READ_ROLES, STAFF_ROLES, Role
from rollout.errors import ApplicationError
from rollout.views.base import OrgDetailView, OrgPageMixin
from workorders.choices import NOT_VISITED, PacketStatus
from workorders.models import Packet, PacketAcknowledgement, PacketGenerationJob, WorkOrder
from workorders.packets import selectors, services
from workorders.packets.render import packet_render_html
from workorders.readiness import describe_window

PACKET_READ_ROLES = FULL_READ_ROLES | {Role.CLIENT, Role.TECHNICIAN}
PLANNING_ROLES = {"read": FULL_READ_ROLES, "write": STAFF_ROLES}
RECENT_JOBS = 10


def layout_for(access) -> str:
    if access.role == Role.TECHNICIAN:
        return "layouts/phone.html"
    return "layouts/portal.html" if access.role == Role.CLIENT else "layouts/staff.html"


class PacketPageMixin:
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = layout_for(self.access)
        return context


class PacketGenerationForm(forms.Form):
    """Generate for the whole program, or one of its waves (choices scoped to the program)."""

    wave = forms.ModelChoiceField(
        queryset=Wave.objects.none(), required=False, empty_label="Every wave (the whole program)"
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = (
            Wave.objects.for_organization(program.organization_id).filter(program=program).order_by("order", "id")
        )
        self.fields["wave"].widget.attrs["class"] = "form-select"


CURRENT_PER_PAGE = 50


class ProgramPacketsView(PacketPageMixin, OrgDetailView):
    """A program's packets: how many work orders have one, recent generation jobs, generate, re-issue."""

    roles = PLANNING_ROLES
    model = Program
    template_name = "workorders/packet/program.html"
    context_object_name = "program"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        program = self.object
        organization = self.access.organization
        work_orders = WorkOrder.objects.for_organization(organization).filter(program=program)
        packets = Packet.objects.for_organization(organization).filter(work_order__program=program)
        context.update(
            form=kwargs.get("form") or PacketGenerationForm(program=program),
            jobs=PacketGenerationJob.objects.visible_to(self.access)
            .filter(program=program)
            .select_related("wave")[:RECENT_JOBS],
            not_visited_count=work_orders.filter(status__in=NOT_VISITED).count(),
            current_count=packets.current().count(),
            current_page=Paginator(
                packets.current().select_related("work_order", "work_order__site").order_by("work_order__number"),
                CURRENT_PER_PAGE,
            ).get_page(self.request.GET.get("page")),
            failed_packets=packets.filter(status=PacketStatus.FAILED)
            .select_related("work_order")
            .order_by("-issued_at")[:20],
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = program = self.get_object()
        form = PacketGenerationForm(request.POST, program=program)
        if form.is_valid():
            wave = form.cleaned_data["wave"]
            try:
                job = services.packet_generation_start(
                    organization=self.access.organization,
                    actor=self.access,
                    program_id=program.pk,
                    wave_id=wave.pk if wave else None,
                )
            except ApplicationError as error:
                form.add_error("wave" if error.field == "wave" else None, error.message)
            else:
                return redirect("packets:packet-job", org=self.access.organization.slug, pk=job.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PacketJobView(PacketPageMixin, OrgDetailView):
    """One generation job: progress bar while it runs, then the result, failures and the ZIP."""

    roles = PLANNING_ROLES
    model = PacketGenerationJob
    template_name = "workorders/packet/job.html"
    context_object_name = "job"

    def get_queryset(self):
        return super().get_queryset().select_related("program", "wave")


class PacketJobStatusView(PacketJobView):
    """The status panel alone, for htmx polling (every second while the job runs)."""

    template_name = "workorders/packet/_job_status.html"


class PacketJobDownloadView(OrgPageMixin, SingleObjectMixin, View):
    """The job's ZIP of PDFs, streamed after the scoped lookup (no public URL exists)."""

    roles = PLANNING_ROLES
    model = PacketGenerationJob

    def get(self, request, *args, **kwargs):
        job = self.get_object()
        if not job.zip:
            raise Http404("This job has no ZIP yet.")
        return FileResponse(
            job.zip.open("rb"),
            as_attachment=True,
            filename=job.download_name,
            content_type="application/zip",
        )


class PacketDetailView(PacketPageMixin, OrgDetailView):
    """One packet version as a phone page, with its PDF, its other versions, the diff from the version
    before, and the acknowledgement (the assigned technician, on the current version)."""

    roles = {"read": PACKET_READ_ROLES, "write": {Role.TECHNICIAN}}
    model = Packet
    template_name = "workorders/packet/page.html"
    context_object_name = "packet"

    def get_queryset(self):
        return super().get_queryset().with_summary().select_related("work_order__technician")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        packet = self.object
        work_order = packet.work_order
        versions = selectors.packet_versions(access=self.access, work_order_id=work_order.pk)
        previous = next((other for other in versions if other.version < packet.version), None)
        technician = work_order.technician
        acknowledged = (
            technician is not None
            and PacketAcknowledgement.objects.for_organization(self.access.organization)
            .filter(packet=packet, technician=technician)
            .exists()
        )
        is_assignee = (
            self.access.role == Role.TECHNICIAN and technician is not None and technician.user_id == self.access.user.pk
        )
        context.update(
            work_order=work_order,
            packet_html=packet_render_html(
                packet.snapshot, version=packet.version, visit_window=describe_window(work_order)
            ),
            versions=versions,
            previous=previous,
            diff=selectors.packet_diff(previous.snapshot, packet.snapshot) if previous else None,
            acknowledged=acknowledged,
            can_acknowledge=is_assignee and packet.is_current and not acknowledged,
            gate=selectors.packet_acknowledged(work_order),
        )
        return context


class PacketPdfView(OrgPageMixin, SingleObjectMixin, View):
    """The version's PDF, streamed inline after the scoped lookup."""

    roles = {"read": PACKET_READ_ROLES}
    model = Packet

    def get(self, request, *args, **kwargs):
        packet = self.get_object()
        if packet.status != PacketStatus.RENDERED or not packet.pdf:
            raise Http404("This packet version has no PDF.")
        return FileResponse(packet.pdf.open("rb"), filename=packet.download_name, content_type="application/pdf")


class PacketAcknowledgeView(OrgPageMixin, SingleObjectMixin, View):
    """POST: the assigned technician acknowledges the current version."""

    roles = {"read": PACKET_READ_ROLES, "write": {Role.TECHNICIAN}}
    model = Packet
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        packet = self.get_object()
        try:
            services.packet_acknowledge(organization=self.access.organization, actor=self.access, packet_id=packet.pk)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Packet v{packet.version} acknowledged.")
        return redirect("packets:packet-page", org=self.access.organization.slug, pk=packet.pk)


class WorkOrderPacketView(OrgPageMixin, View):
    """What the cover's QR code opens: the work order's current packet (or its latest version)."""

    roles = {"read": PACKET_READ_ROLES}

    def get(self, request, *args, **kwargs):
        packets = Packet.objects.visible_to(self.access).filter(work_order_id=kwargs["work_order_id"])
        packet = packets.current().first() or packets.order_by("-version").first()
        if packet is None:
            raise Http404("No packet for this work order.")
        return redirect("packets:packet-page", org=self.access.organization.slug, pk=packet.pk)


class PacketReissueView(PacketPageMixin, OrgDetailView):
    """Controlled re-issue: the work orders whose packet would change, with their diffs; confirm; result."""

    roles = PLANNING_ROLES
    model = Program
    template_name = "workorders/packet/reissue.html"
    context_object_name = "program"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "result" not in kwargs:
            context["preview"] = selectors.packet_reissue_preview(
                organization=self.access.organization, program_id=self.object.pk
            )
        return context

    def post(self, request, *args, **kwargs):
        self.object = program = self.get_object()
        ids = [int(value) for value in request.POST.getlist("work_orders") if value.isdigit()]
        if not ids:
            messages.warning(request, "Select at least one work order to re-issue.")
            return redirect("packets:packet-reissue", org=self.access.organization.slug, pk=program.pk)
        organization = self.access.organization
        result = services.packet_reissue(
            organization=organization, actor=self.access, program_id=program.pk, work_order_ids=ids
        )
        # The service sees only the confirmed work orders; what still differs afterwards (visited ones, those
        # not selected, refusals) is read again so that the result says what was left as it was, and why.
        failed = {item["work_order"] for item in result.failed}
        still_different = [
            item
            for item in selectors.packet_reissue_preview(organization=organization, program_id=program.pk).affected
            if item.work_order.pk not in failed
        ]
        return self.render_to_response(self.get_context_data(result=result, still_different=still_different))
