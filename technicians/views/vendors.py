"""Vendor pages: list, detail, create, edit, (de)activate."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone

from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgDetailView, OrgFormView
from technicians import services
from technicians.filtersets import (
    INSURANCE_STATES,
    VendorFilterSet,
)
from technicians.forms import (
    VendorForm,
)
from technicians.models import Technician, Vendor
from technicians.tables import VendorTable
from technicians.views.base import WRITERS_ONLY, ConfirmView, TechniciansPageMixin, active_filter

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
        active_filter(form)


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
