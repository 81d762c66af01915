"""Technician pages: technicians (list, detail, create, edit, invite, (de)activate), their certifications
and time off, vendors, and the skills catalogue.

Every page derives from rollout/views/base.py (role check + `visible_to(access)`), so another
organization's technician, vendor, skill, certification or time off is a 404. Staff and integrators
read; admins, PMs and coordinators write, always through technicians.services, and a service's
refusal is shown next to the field it names.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from rollout.choices import FULL_READ_ROLES, STAFF_ROLES
from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.models import Invitation
from rollout.tables import OrgTableView
from rollout.views.base import OrgConfirmView, OrgDetailView, OrgFormView
from technicians import services
from technicians.choices import EXPIRING_WITHIN_DAYS
from technicians.filtersets import (
    CERTIFICATION_STATES,
    INSURANCE_STATES,
    SkillFilterSet,
    TechnicianFilterSet,
    VendorFilterSet,
)
from technicians.forms import (
    CertificationForm,
    InviteTechnicianForm,
    SkillForm,
    TechnicianForm,
    TimeOffForm,
    VendorForm,
)
from technicians.models import Certification, Skill, Technician, TimeOff, TrainingRecord, Vendor
from technicians.tables import SkillTable, TechnicianTable, VendorTable

ROLES = {"read": FULL_READ_ROLES, "write": STAFF_ROLES}
WRITERS_ONLY = {"read": STAFF_ROLES, "write": STAFF_ROLES}
ACTIVE_CHOICES = [("", "Any status"), ("true", "Active"), ("false", "Inactive")]


class TechniciansPageMixin:
    """The org URL helper, service arguments, and the objects named by the URL (another org's: 404)."""

    roles = ROLES
    section = "technicians"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = self.section
        context["today"] = timezone.localdate()
        return context

    def _visible(self, model, pk, *related):
        row = model.objects.visible_to(self.access).select_related(*related).filter(pk=pk).first()
        if row is None:
            raise Http404(f"No such {model._meta.verbose_name}.")
        return row

    def get_technician(self, pk) -> Technician:
        return self._visible(Technician, pk, "vendor", "user")

    def get_vendor(self, pk) -> Vendor:
        return self._visible(Vendor, pk)

    def get_skill(self, pk) -> Skill:
        return self._visible(Skill, pk)

    def get_certification(self, pk) -> Certification:
        return self._visible(Certification, pk, "technician", "skill")

    def get_time_off(self, pk) -> TimeOff:
        return self._visible(TimeOff, pk, "technician")


class ConfirmView(TechniciansPageMixin, OrgConfirmView):
    """A technicians page's confirmation (rollout.views.base.OrgConfirmView), for writers only."""

    roles = WRITERS_ONLY


def _active_filter(form) -> None:
    form.fields["active"].label = "Status"
    form.fields["active"].widget.choices = ACTIVE_CHOICES


# --- Technicians ------------------------------------------------------------------------------------


class TechnicianListView(TechniciansPageMixin, OrgTableView):
    """Technicians with filters (the API's FilterSet: vendor, skill, status, certifications), sorting, pages."""

    template_name = "technicians/technician_list.html"
    queryset = Technician.objects.all()
    filterset_class = TechnicianFilterSet
    table_class = TechnicianTable

    def get_queryset(self):
        return super().get_queryset().with_summary(on=timezone.localdate())

    def prepare_filter_form(self, form):
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Name, e-mail or city"})
        form.fields["vendor"].empty_label = "Any vendor"
        form.fields["skill"].empty_label = "Any skill"
        form.fields["skill"].label = "Skill"
        form.fields["certification"].empty_label = "Any"
        form.fields["certification"].choices = CERTIFICATION_STATES
        _active_filter(form)
        del form.fields["in_house"]
        del form.fields["has_account"]
        form.order_fields(["q", "vendor", "skill", "certification", "active"])


class TechnicianDetailView(TechniciansPageMixin, OrgDetailView):
    """One technician: profile, skills, certifications with expiry badges, time off, working hours."""

    template_name = "technicians/technician_detail.html"
    queryset = Technician.objects.select_related("vendor", "user")
    context_object_name = "technician"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        technician, today = self.object, timezone.localdate()
        time_off = list(TimeOff.objects.visible_to(self.access).filter(technician=technician).order_by("start_date"))
        invitation = None
        if technician.user_id is None:
            invitation = (
                Invitation.objects.visible_to(self.access)
                .pending()
                .filter(email__iexact=technician.email)
                .order_by("-created_at")
                .first()
            )
        context.update(
            skills=list(technician.skills.order_by("name")),
            certifications=list(
                Certification.objects.visible_to(self.access)
                .filter(technician=technician)
                .select_related("skill")
                .order_by("expires_on", "name")
            ),
            training_records=list(
                TrainingRecord.objects.visible_to(self.access)
                .filter(technician=technician)
                .select_related("course")
                .order_by("course__name", "-completed_on")
            ),
            upcoming_time_off=[t for t in time_off if t.end_date >= today],
            past_time_off=[t for t in time_off if t.end_date < today][-5:],
            invitation=invitation,
            expiring_within=EXPIRING_WITHIN_DAYS,
        )
        return context


class TechnicianFormMixin(TechniciansPageMixin):
    roles = WRITERS_ONLY
    form_class = TechnicianForm
    template_name = "technicians/technician_form.html"

    def technician(self) -> Technician | None:
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization, "technician": self.technician()}


class TechnicianCreateView(TechnicianFormMixin, OrgFormView):
    """Add a technician's profile without inviting them (they can be invited later from their page)."""

    def form_valid(self, form):
        values = dict(form.cleaned_data)
        try:
            technician = services.technician_create(**self.service_kwargs(), **values)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{technician.full_name} added.")
        return redirect(self.org_url("technicians:technician-detail", pk=technician.pk))


class TechnicianEditView(TechnicianFormMixin, OrgFormView):
    def technician(self) -> Technician:
        if not hasattr(self, "_technician"):
            self._technician = self.get_technician(self.kwargs["pk"])
        return self._technician

    def get_initial(self):
        technician = self.technician()
        initial = {name: getattr(technician, name) for name in services.TECHNICIAN_FIELDS}
        initial["skills"] = list(technician.skills.all())
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(technician=self.technician(), **kwargs)

    def form_valid(self, form):
        technician = self.technician()
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        skills = changes.pop("skills", None)
        try:
            services.technician_update(**self.service_kwargs(), technician_id=technician.pk, skills=skills, **changes)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Technician saved." if form.changed_data else "Nothing changed.")
        return redirect(self.org_url("technicians:technician-detail", pk=technician.pk))


class InvitedResponseMixin:
    def render_invited(self, issued):
        """Rendered, not redirected: the link is shown once and never stored in the clear."""
        response = self.response_class(
            request=self.request,
            template=["technicians/technician_invited.html"],
            context=self.get_context_data(issued=issued, technician=issued.technician),
            using=self.template_engine,
        )
        add_never_cache_headers(response)
        return response


class TechnicianInviteView(InvitedResponseMixin, TechniciansPageMixin, OrgFormView):
    """Invite a technician by e-mail; the page then shows the link once, to send by text too."""

    roles = WRITERS_ONLY
    form_class = InviteTechnicianForm
    template_name = "technicians/technician_invite.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def form_valid(self, form):
        values = {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}
        try:
            issued = services.technician_invite(**self.service_kwargs(), **values)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        return self.render_invited(issued)


class TechnicianReinviteView(InvitedResponseMixin, ConfirmView):
    """Send a technician who has not joined yet a fresh invitation (the old link stops working)."""

    def confirm(self):
        technician = self.get_technician(self.kwargs["pk"])
        return {
            "title": f"Invite {technician.full_name} again?",
            "message": (
                f"We e-mail a new link to {technician.email} and show it here to send by text. "
                "Any earlier invitation link stops working."
            ),
            "action_label": "Send invitation",
            "icon": "envelope-paper",
            "cancel_url": self.org_url("technicians:technician-detail", pk=technician.pk),
        }

    def post(self, request, *args, **kwargs):
        technician = self.get_technician(self.kwargs["pk"])
        try:
            issued = services.technician_invite(**self.service_kwargs(), email=technician.email)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(self.org_url("technicians:technician-detail", pk=technician.pk))
        return self.render_invited(issued)


class TechnicianStatusView(ConfirmView):
    """Deactivate or reactivate a technician."""

    def confirm(self):
        technician = self.get_technician(self.kwargs["pk"])
        if technician.active:
            return {
                "title": f"Deactivate {technician.full_name}?",
                "message": "They no longer qualify for any work and disappear from the pickers. Their history stays; "
                "you can reactivate them later.",
                "action_label": "Deactivate technician",
                "tone": "danger",
                "icon": "person-slash",
                "cancel_url": self.org_url("technicians:technician-detail", pk=technician.pk),
            }
        return {
            "title": f"Reactivate {technician.full_name}?",
            "message": "They qualify for work again, subject to their skills, certifications and availability.",
            "action_label": "Reactivate technician",
            "icon": "person-check",
            "cancel_url": self.org_url("technicians:technician-detail", pk=technician.pk),
        }

    def post(self, request, *args, **kwargs):
        technician = self.get_technician(self.kwargs["pk"])
        technician = services.technician_set_active(
            **self.service_kwargs(), technician_id=technician.pk, active=not technician.active
        )
        state = "reactivated" if technician.active else "deactivated"
        messages.success(request, f"{technician.full_name} {state}.")
        return redirect(self.org_url("technicians:technician-detail", pk=technician.pk))


# --- Certifications and time off --------------------------------------------------------------------


class CertificationFormView(TechniciansPageMixin, OrgFormView):
    """Add a certification to a technician (URL pk = technician) or edit one (URL cert = certification)."""

    roles = WRITERS_ONLY
    form_class = CertificationForm
    template_name = "technicians/certification_form.html"

    def certification(self) -> Certification | None:
        return self.get_certification(self.kwargs["cert"]) if "cert" in self.kwargs else None

    def technician_for_form(self) -> Technician:
        certification = self.certification()
        return certification.technician if certification else self.get_technician(self.kwargs["pk"])

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "organization": self.access.organization,
            "certification": self.certification(),
        }

    def get_initial(self):
        certification = self.certification()
        if certification is None:
            return {}
        return {name: getattr(certification, name) for name in services.CERTIFICATION_FIELDS}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            technician=self.technician_for_form(), certification=self.certification(), **kwargs
        )

    def form_valid(self, form):
        certification, technician = self.certification(), self.technician_for_form()
        try:
            if certification is None:
                services.certification_create(**self.service_kwargs(), technician_id=technician.pk, **form.cleaned_data)
            else:
                changes = {name: form.cleaned_data[name] for name in form.changed_data}
                services.certification_update(**self.service_kwargs(), certification_id=certification.pk, **changes)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Certification “{form.cleaned_data['name']}” saved.")
        return redirect(self.org_url("technicians:technician-detail", pk=technician.pk) + "#certifications")


class CertificationDeleteView(ConfirmView):
    def confirm(self):
        certification = self.get_certification(self.kwargs["cert"])
        return {
            "title": f"Remove “{certification.name}” from {certification.technician.full_name}?",
            "message": "Remove a certification recorded by mistake. An expired one can stay: it simply no longer "
            "counts.",
            "details": [("Expires", certification.expires_on or "Does not expire")],
            "action_label": "Remove certification",
            "tone": "danger",
            "icon": "trash",
            "cancel_url": self.org_url("technicians:technician-detail", pk=certification.technician_id),
        }

    def post(self, request, *args, **kwargs):
        certification = self.get_certification(self.kwargs["cert"])
        services.certification_delete(**self.service_kwargs(), certification_id=certification.pk)
        messages.success(request, f"Certification “{certification.name}” removed.")
        return redirect(
            self.org_url("technicians:technician-detail", pk=certification.technician_id) + "#certifications"
        )


class TimeOffCreateView(TechniciansPageMixin, OrgFormView):
    roles = WRITERS_ONLY
    form_class = TimeOffForm
    template_name = "technicians/time_off_form.html"

    def get_initial(self):
        today = timezone.localdate()
        return {"start_date": today + timedelta(days=1), "end_date": today + timedelta(days=1)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(technician=self.get_technician(self.kwargs["pk"]), **kwargs)

    def form_valid(self, form):
        technician = self.get_technician(self.kwargs["pk"])
        try:
            services.time_off_create(**self.service_kwargs(), technician_id=technician.pk, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Time off recorded.")
        return redirect(self.org_url("technicians:technician-detail", pk=technician.pk) + "#time-off")


class TimeOffDeleteView(ConfirmView):
    def confirm(self):
        time_off = self.get_time_off(self.kwargs["pk"])
        return {
            "title": f"Cancel {time_off.technician.full_name}'s time off?",
            "message": "They become available on these days again.",
            "details": [("Days", str(time_off)), ("Reason", time_off.reason or "—")],
            "action_label": "Cancel time off",
            "tone": "danger",
            "icon": "calendar-x",
            "cancel_url": self.org_url("technicians:technician-detail", pk=time_off.technician_id),
        }

    def post(self, request, *args, **kwargs):
        time_off = self.get_time_off(self.kwargs["pk"])
        services.time_off_delete(**self.service_kwargs(), time_off_id=time_off.pk)
        messages.success(request, "Time off cancelled.")
        return redirect(self.org_url("technicians:technician-detail", pk=time_off.technician_id) + "#time-off")


# --- Vendors ----------------------------------------------------------------------------------------


class VendorListView(TechniciansPageMixin, OrgTableView):
    """Vendors with their insurance state (expired and expiring stand out), filters, sorting, pages."""

    template_name = "technicians/vendor_list.html"
    queryset = Vendor.objects.with_counts()
    filterset_class = VendorFilterSet
    table_class = VendorTable
    section = "vendors"

    def prepare_filter_form(self, form):
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Name, code or contact"})
        form.fields["insurance"].empty_label = "Any"
        form.fields["insurance"].choices = INSURANCE_STATES
        _active_filter(form)


class VendorDetailView(TechniciansPageMixin, OrgDetailView):
    template_name = "technicians/vendor_detail.html"
    queryset = Vendor.objects.with_counts()
    context_object_name = "vendor"
    section = "vendors"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["technicians"] = list(
            Technician.objects.visible_to(self.access)
            .filter(vendor=self.object)
            .prefetch_related("skills")
            .order_by("-active", "full_name")
        )
        context["insurance_state"] = self.object.insurance_state(timezone.localdate())
        return context


class VendorFormView(TechniciansPageMixin, OrgFormView):
    """Add a vendor, or edit one (URL pk)."""

    roles = WRITERS_ONLY
    form_class = VendorForm
    template_name = "technicians/vendor_form.html"
    section = "vendors"

    def vendor(self) -> Vendor | None:
        return self.get_vendor(self.kwargs["pk"]) if "pk" in self.kwargs else None

    def get_initial(self):
        vendor = self.vendor()
        return {} if vendor is None else {name: getattr(vendor, name) for name in services.VENDOR_FIELDS}

    def get_context_data(self, **kwargs):
        return super().get_context_data(vendor=self.vendor(), **kwargs)

    def form_valid(self, form):
        vendor = self.vendor()
        try:
            if vendor is None:
                vendor = services.vendor_create(**self.service_kwargs(), **form.cleaned_data)
            else:
                changes = {name: form.cleaned_data[name] for name in form.changed_data}
                vendor = services.vendor_update(**self.service_kwargs(), vendor_id=vendor.pk, **changes)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Vendor {vendor.name} saved.")
        return redirect(self.org_url("technicians:vendor-detail", pk=vendor.pk))


class VendorStatusView(ConfirmView):
    section = "vendors"

    def confirm(self):
        vendor = self.get_vendor(self.kwargs["pk"])
        if vendor.active:
            return {
                "title": f"Deactivate {vendor.name}?",
                "message": "None of its technicians qualifies for work while the vendor is inactive. You can "
                "reactivate it later.",
                "action_label": "Deactivate vendor",
                "tone": "danger",
                "icon": "building-slash",
                "cancel_url": self.org_url("technicians:vendor-detail", pk=vendor.pk),
            }
        return {
            "title": f"Reactivate {vendor.name}?",
            "message": "Its technicians qualify for work again (if its insurance is current).",
            "action_label": "Reactivate vendor",
            "icon": "building-check",
            "cancel_url": self.org_url("technicians:vendor-detail", pk=vendor.pk),
        }

    def post(self, request, *args, **kwargs):
        vendor = self.get_vendor(self.kwargs["pk"])
        vendor = services.vendor_set_active(**self.service_kwargs(), vendor_id=vendor.pk, active=not vendor.active)
        messages.success(request, f"{vendor.name} {'reactivated' if vendor.active else 'deactivated'}.")
        return redirect(self.org_url("technicians:vendor-detail", pk=vendor.pk))


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
        _active_filter(form)
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
