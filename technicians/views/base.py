"""What every technicians page shares: the roles, the objects named by the URL through the scoped querysets
(another organization's technician, vendor, skill, certification or time off is a 404), and the confirmation
page. The pages themselves are by group: `technicians.py` (technicians, their certifications and time off),
`vendors.py`, `skills.py` and `training.py` (the training matrix, courses, training records).

Every page derives from rollout/views/base.py (role check + `visible_to(access)`). Staff and integrators read;
admins, PMs and coordinators write, always through the technicians services, and a service's refusal is shown
next to the field it names.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from rollout.choices import FULL_READ_ROLES, STAFF_ROLES
from rollout.views.base import OrgConfirmView
from technicians.models import Certification, Skill, Technician, TimeOff, Vendor

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


def active_filter(form) -> None:
    form.fields["active"].label = "Status"
    form.fields["active"].widget.choices = ACTIVE_CHOICES
