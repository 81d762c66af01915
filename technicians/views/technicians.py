"""Technician pages: list, detail, create, edit, invite, (de)activate; their certifications and time off."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.models import Invitation
from rollout.tables import OrgTableView
from rollout.views.base import OrgDetailView, OrgFormView
from technicians import services
from technicians.choices import EXPIRING_WITHIN_DAYS
from technicians.filtersets import (
    CERTIFICATION_STATES,
    TechnicianFilterSet,
)
from technicians.forms import (
    CertificationForm,
    InviteTechnicianForm,
    TechnicianForm,
    TimeOffForm,
)
from technicians.models import Certification, Technician, TimeOff, TrainingRecord
from technicians.tables import TechnicianTable
from technicians.views.base import WRITERS_ONLY, ConfirmView, TechniciansPageMixin, active_filter

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
        active_filter(form)
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
