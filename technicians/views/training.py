"""Training path pages: the training matrix (people × courses, and what expires within 30 days), a new course, a
new training record (with its certificate), and the certificate file itself.

Every page derives from rollout/views/base.py (role check + scoped reads), through technicians.views.base. The
certificate is streamed after the same scoped lookup as its record, so another organization's certificate is a
404, like any of its rows; a technician may open their own. Writes go through technicians.training; a refusal
shows next to its field.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone

from rollout.choices import STAFF_ROLES, Role
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.views.base import OrgFormView, OrgTemplateView
from technicians import training
from technicians.choices import EXPIRING_WITHIN_DAYS, TRAINING_ROLE_CHOICES, TRAINING_ROLES
from technicians.forms import CourseForm, TrainingRecordForm
from technicians.models import TrainingRecord
from technicians.selectors import training_matrix
from technicians.views.base import WRITERS_ONLY, TechniciansPageMixin


class TrainingPageMixin(TechniciansPageMixin):
    roles = WRITERS_ONLY
    section = "training"


class TrainingMatrixView(TrainingPageMixin, OrgTemplateView):
    """People × courses on today's date: each cell the best record's state; below, what expires within 30 days.
    `?role=` narrows the rows to technicians, PMs or coordinators. Four queries, whatever the size."""

    template_name = "technicians/training_matrix.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = self.request.GET.get("role", "")
        roles = [role] if role in TRAINING_ROLES else None
        context.update(
            matrix=training_matrix(organization=self.access.organization, on=timezone.localdate(), roles=roles),
            role_filter=role if roles else "",
            role_choices=TRAINING_ROLE_CHOICES,
            expiring_within=EXPIRING_WITHIN_DAYS,
        )
        return context


class CourseCreateView(TrainingPageMixin, OrgFormView):
    """Add a course to the training path."""

    template_name = "technicians/course_form.html"
    form_class = CourseForm

    def form_valid(self, form):
        try:
            course = training.course_create(**self.service_kwargs(), **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Course “{course.name}” added.")
        return redirect(self.org_url("technicians:training"))


class TrainingRecordCreateView(TrainingPageMixin, OrgFormView):
    """Record a completion for a technician, PM or coordinator, with its certificate."""

    template_name = "technicians/training_record_form.html"
    form_class = TrainingRecordForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def get_initial(self):
        return {key: self.request.GET[key] for key in ("person", "course") if key in self.request.GET}

    def form_valid(self, form):
        try:
            record = training.training_record_create(**self.service_kwargs(), **form.service_values())
        except ApplicationError as exc:
            add_service_error(form, exc, {"technician": "person", "member": "person"})
            return self.form_invalid(form)
        messages.success(self.request, f"Training “{record.course.name}” recorded for {record.person_name}.")
        return redirect(self.org_url("technicians:training"))


class TrainingCertificateView(OrgTemplateView):
    """The certificate file, streamed after the scoped lookup of its record (no public URL exists)."""

    roles = {"read": STAFF_ROLES | {Role.TECHNICIAN}, "write": frozenset()}

    def get(self, request, *args, **kwargs):
        record = self.visible_or_404(TrainingRecord.objects, kwargs["pk"], "training record")
        if not record.certificate:
            raise Http404("This training record has no certificate.")
        return FileResponse(record.certificate.open("rb"), as_attachment=True, filename=record.certificate_name)
