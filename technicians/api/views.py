"""API views of the technicians app: vendors, skills, technicians (eligibility, qualified, invite),
certifications and time off.

Thin: they check shape with input serializers, call one service or selector, and answer with an
output serializer. Reads: staff and integrators; a technician reads only their own profile,
certifications and time off, and may record their own time off. Writes: admins, PMs, coordinators.
Scoping comes from the base classes (visible_to) and the org-scoped related fields.
"""

from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from rollout.api.base import OrgServiceViewSet
from rollout.api.files import FileNegotiation
from rollout.choices import FULL_READ_ROLES, STAFF_ROLES, Role
from technicians import selectors, services, training
from technicians.api import serializers as s
from technicians.filtersets import (
    CertificationFilterSet,
    CourseFilterSet,
    SkillFilterSet,
    TechnicianFilterSet,
    TimeOffFilterSet,
    TrainingRecordFilterSet,
    VendorFilterSet,
)
from technicians.models import Certification, Course, Skill, Technician, TimeOff, TrainingRecord, Vendor

READ_ROLES = FULL_READ_ROLES  # admin, pm, coordinator, integrator
WRITE_ROLES = STAFF_ROLES  # admin, pm, coordinator
OWN_PROFILE_READERS = READ_ROLES | {Role.TECHNICIAN}
NO_DELETE = ["get", "post", "patch", "head", "options"]


class ServiceViewSet(OrgServiceViewSet):
    """The technicians app's writes go through its services; staff who plan write."""

    roles = {"read": READ_ROLES, "write": WRITE_ROLES}


class ActivationMixin:
    """POST …/deactivate/ and …/reactivate/, through the model's `<entity>_set_active` service."""

    set_active = None  # the service, taking the row's id as the viewset's `service_id_name()`

    def _set_active(self, active: bool) -> Response:
        instance = self.get_object()
        self.set_active(**self.service_kwargs(), **{self.service_id_name(): instance.pk}, active=active)
        return self.output(instance)


# --- Vendors ----------------------------------------------------------------------------------------


@extend_schema(tags=["technicians"])
class VendorViewSet(ActivationMixin, ServiceViewSet):
    """Vendors: third-party companies whose technicians work for the organization, with insurance expiry."""

    queryset = Vendor.objects.with_counts()
    serializer_class = s.VendorSerializer
    filterset_class = VendorFilterSet
    search_fields = ["code", "name", "contact_name", "contact_email"]
    ordering_fields = ["code", "name", "insurance_expires_on", "created_at"]
    ordering = ["name"]
    http_method_names = NO_DELETE
    set_active = staticmethod(services.vendor_set_active)
    create_input, create_service = s.VendorCreateInputSerializer, services.vendor_create
    update_input, update_service = s.VendorUpdateInputSerializer, services.vendor_update

    @extend_schema(
        request=None,
        responses=s.VendorSerializer,
        description="While a vendor is inactive, none of its technicians qualifies for work.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._set_active(False)

    @extend_schema(request=None, responses=s.VendorSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._set_active(True)


# --- Skills -----------------------------------------------------------------------------------------


@extend_schema(tags=["technicians"])
class SkillViewSet(ActivationMixin, ServiceViewSet):
    """The skills catalogue. A skill's slug is what SOW tasks name as their required skill."""

    queryset = Skill.objects.with_counts()
    serializer_class = s.SkillSerializer
    filterset_class = SkillFilterSet
    search_fields = ["slug", "name"]
    ordering_fields = ["slug", "name", "created_at"]
    ordering = ["name"]
    http_method_names = NO_DELETE
    set_active = staticmethod(services.skill_set_active)
    create_input, create_service = s.SkillCreateInputSerializer, services.skill_create
    update_input, update_service = s.SkillUpdateInputSerializer, services.skill_update

    @extend_schema(
        request=None,
        responses=s.SkillSerializer,
        description="Retire a skill: no longer offered for new assignments; technicians who have it keep it.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._set_active(False)

    @extend_schema(request=None, responses=s.SkillSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._set_active(True)


# --- Technicians ------------------------------------------------------------------------------------

ELIGIBILITY_DESCRIPTION = (
    "Rules: active; every skill in `skills`; a valid certification for each skill that requires one; an active "
    "vendor whose insurance has not expired (in-house technicians have none); works on that weekday (and at "
    "`time`, when given); not on time off; the location inside the service radius (great-circle distance); a "
    "training record valid that day for each course in `courses`."
)


@extend_schema_view(
    create=extend_schema(
        description="Create a profile. If a member of the organization already has this e-mail, they are linked."
    )
)
@extend_schema(tags=["technicians"])
class TechnicianViewSet(ActivationMixin, ServiceViewSet):
    """Technicians: profile, vendor, skills, home base and service radius, working days and hours.

    A technician sees only their own profile here. `qualified` lists who may take a piece of work,
    nearest first; `eligibility` explains, for one technician, every reason they may not.
    """

    queryset = Technician.objects.all()
    serializer_class = s.TechnicianSerializer
    filterset_class = TechnicianFilterSet
    search_fields = ["full_name", "email", "home_address"]
    ordering_fields = ["full_name", "email", "service_radius_km", "created_at", "vendor__name"]
    ordering = ["full_name"]
    http_method_names = NO_DELETE
    roles = {
        "read": OWN_PROFILE_READERS,
        "write": WRITE_ROLES,
        "eligibility": READ_ROLES,
        "qualified": READ_ROLES,
    }
    set_active = staticmethod(services.technician_set_active)
    create_input, create_service = s.TechnicianCreateInputSerializer, services.technician_create
    update_input, update_service = s.TechnicianUpdateInputSerializer, services.technician_update

    def get_queryset(self):
        return super().get_queryset().with_summary(on=timezone.localdate())

    def query(self, serializer_class):
        params = serializer_class(data=self.request.query_params, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        return params

    @extend_schema(
        request=None,
        responses=s.TechnicianSerializer,
        description="While inactive, a technician qualifies for no work.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._set_active(False)

    @extend_schema(request=None, responses=s.TechnicianSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._set_active(True)

    @extend_schema(
        request=s.TechnicianInviteInputSerializer,
        responses={201: s.TechnicianInvitationSerializer},
        description=(
            "Create the technician's profile (or reuse their unlinked one) and e-mail them an invitation with the "
            "technician role. The response carries the link and a ready-to-send text message, once. When they "
            "accept, their account is linked to the profile. A technician who has joined: 409."
        ),
    )
    @action(detail=False, methods=["post"], secret_response_fields=frozenset({"accept_url", "text_message"}))
    def invite(self, request):
        values = self.input(s.TechnicianInviteInputSerializer)
        issued = services.technician_invite(**self.service_kwargs(), **values)
        technician = self.get_queryset().get(pk=issued.technician.pk)
        data = s.TechnicianInvitationSerializer(
            {
                "technician": technician,
                "invitation": issued.invitation,
                "accept_url": issued.accept_url,
                "text_message": issued.text_message,
            },
            context=self.get_serializer_context(),
        ).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[s.EligibilityQuerySerializer],
        responses=s.EligibilitySerializer,
        description="Whether this technician may take the work, and every reason they may not. "
        + ELIGIBILITY_DESCRIPTION,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def eligibility(self, request, pk=None):
        technician = self.get_object()
        params = self.query(s.EligibilityQuerySerializer)
        verdict = selectors.technician_eligibility(
            organization=self.access.organization, technician_id=technician.pk, **params.selector_kwargs()
        )
        return Response(s.EligibilitySerializer(verdict).data)

    @extend_schema(
        parameters=[s.EligibilityQuerySerializer],
        responses=s.QualifiedTechnicianSerializer(many=True),
        description="Technicians who may take the work, nearest first, each with its distance. "
        + ELIGIBILITY_DESCRIPTION,
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def qualified(self, request):
        params = self.query(s.EligibilityQuerySerializer)
        qualified = selectors.technicians_qualified_for(
            organization=self.access.organization, **params.selector_kwargs()
        )
        page = self.paginate_queryset(qualified)
        return self.get_paginated_response(s.QualifiedTechnicianSerializer(page, many=True).data)


# --- Certifications and time off --------------------------------------------------------------------


@extend_schema(tags=["technicians"])
class CertificationViewSet(ServiceViewSet):
    """Certifications technicians hold, optionally for one skill; they count between issue and expiry."""

    queryset = Certification.objects.select_related("technician", "skill")
    serializer_class = s.CertificationSerializer
    filterset_class = CertificationFilterSet
    search_fields = ["name", "reference", "technician__full_name"]
    ordering_fields = ["expires_on", "issued_on", "name", "created_at"]
    ordering = ["expires_on", "name"]
    roles = {"read": OWN_PROFILE_READERS, "write": WRITE_ROLES}
    create_input, create_service = s.CertificationCreateInputSerializer, services.certification_create
    update_input, update_service = s.CertificationUpdateInputSerializer, services.certification_update
    delete_service = services.certification_delete


@extend_schema(tags=["technicians"])
class TimeOffViewSet(ServiceViewSet):
    """Days technicians are unavailable (inclusive). A technician may record their own; overlaps are refused."""

    queryset = TimeOff.objects.select_related("technician")
    serializer_class = s.TimeOffSerializer
    filterset_class = TimeOffFilterSet
    search_fields = ["reason", "technician__full_name"]
    ordering_fields = ["start_date", "end_date", "created_at"]
    ordering = ["start_date"]
    roles = {"read": OWN_PROFILE_READERS, "write": WRITE_ROLES, "create": WRITE_ROLES | {Role.TECHNICIAN}}
    create_input, create_service = s.TimeOffCreateInputSerializer, services.time_off_create
    update_input, update_service = s.TimeOffUpdateInputSerializer, services.time_off_update
    delete_service = services.time_off_delete


# --- Training path ----------------------------------------------------------------------------------


@extend_schema(tags=["training"])
class CourseViewSet(ActivationMixin, ServiceViewSet):
    """The training path's courses: for which roles, and how many months a completion counts."""

    queryset = Course.objects.with_counts()
    serializer_class = s.CourseSerializer
    filterset_class = CourseFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "validity_months", "created_at"]
    ordering = ["name"]
    http_method_names = NO_DELETE
    set_active = staticmethod(training.course_set_active)
    create_input, create_service = s.CourseCreateInputSerializer, training.course_create
    update_input, update_service = s.CourseUpdateInputSerializer, training.course_update

    @extend_schema(
        request=None,
        responses=s.CourseSerializer,
        description="Retire a course: no new records; existing records and program requirements stay.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._set_active(False)

    @extend_schema(request=None, responses=s.CourseSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._set_active(True)


# A certificate is a PDF, PNG or JPEG (checked by content when recorded: technicians.training).
CERTIFICATE_RESPONSE = {
    (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The certificate file.")
    for media_type in ("application/pdf", "image/png", "image/jpeg")
}


@extend_schema_view(
    create=extend_schema(
        description=(
            "Record a completion (JSON, or multipart with `certificate`). A person or course of another "
            "organization (or none) is refused with `unknown_person` / `unknown_course` (400) and nothing is "
            "written; a course not for the person's role with `course_not_for_role`; a certificate that is not a "
            "PDF, PNG or JPEG with `invalid_certificate`."
        )
    ),
)
@extend_schema(tags=["training"])
class TrainingRecordViewSet(ServiceViewSet):
    """Training records: who completed which course when, until when it counts, and the certificate.

    A record belongs to a technician (`technician`) or to a PM or coordinator (`member`, their membership).
    A technician reads only their own records.
    """

    queryset = TrainingRecord.objects.select_related("course", "technician", "member__user")
    serializer_class = s.TrainingRecordSerializer
    filterset_class = TrainingRecordFilterSet
    search_fields = ["course__name", "technician__full_name", "member__user__full_name", "member__user__email"]
    ordering_fields = ["completed_on", "expires_on", "created_at"]
    ordering = ["expires_on", "id"]
    roles = {"read": OWN_PROFILE_READERS, "write": WRITE_ROLES}
    create_input, create_service = s.TrainingRecordCreateInputSerializer, training.training_record_create
    update_input, update_service = s.TrainingRecordUpdateInputSerializer, training.training_record_update
    delete_service = training.training_record_delete

    @extend_schema(
        responses=CERTIFICATE_RESPONSE,
        description="The certificate file, after the same access check as the record (404 without one, and for "
        "another organization's record).",
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation, pagination_class=None)
    def certificate(self, request, pk=None):
        record = self.get_object()
        if not record.certificate:
            raise Http404("This training record has no certificate.")
        return FileResponse(record.certificate.open("rb"), as_attachment=True, filename=record.certificate_name)
