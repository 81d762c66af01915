"""Demo training path for `seed_demo`: Northwind's courses, everyone's records (with certificates), and what the
self-checkout rollout requires of its team — through the services, as a coordinator and a PM would enter them.

Runs after the work-order and visit seeders (rollout.demo.seed.APP_SEEDERS): the technicians who hold the pilot's work
are trained before the requirement exists, so every visit the demo booked stays valid. Grace Mitchell (no
self-checkout work) has not taken the self-checkout course: the program's team page shows her as not qualified
and the candidate picker leaves her out. Jordan Lee's field safety and Priya Patel's program management course
expire within 30 days; Derek Wu's field safety has expired. Idempotent: courses by name, records by (course,
person), requirements by (program, course, role).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from programs.demo.seed import SCO_CODE
from programs.models import Program, ProgramCourseRequirement
from programs.training import program_course_requirement_add
from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.models import Membership
from rollout.tenancy import Access
from technicians import training
from technicians.models import Course, Technician, TrainingRecord

SAFETY = "Field safety and site conduct"
KIOSK = "Self-checkout kiosk installation (Harbor Foods)"
LEADERSHIP = "Program management essentials"
# (name, roles, validity in months, description)
COURSES = [
    (SAFETY, ["coordinator", "technician"], 24,
     "Store safety, lifting, ladders, lock-out/tag-out, conduct on a client's premises."),
    (KIOSK, ["technician"], 24,
     "The vendor's install, calibration and first-transaction test for the SCO-4 kiosk bank; practical exam."),
    (LEADERSHIP, ["pm", "coordinator"], 36,
     "The orchestra model: packets per site, variations, schedule, escalations and Done Right First Time."),
]  # fmt: skip
UNTRAINED_FOR_KIOSK = "grace.mitchell@summittech.example"
# (technician e-mail or member e-mail, course, completed N days ago, expires in N days (None: the course's validity))
SPECIAL = [
    ("jordan.lee@summittech.example", SAFETY, 718, 12),
    ("derek.wu@northwind.example", SAFETY, 760, -40),
    ("pm@northwind.example", LEADERSHIP, 1077, 18),
    ("coordinator@northwind.example", LEADERSHIP, 200, None),
    ("coordinator@northwind.example", SAFETY, 150, None),
]
# A readable one-page PDF, so that the demo's certificate links open something.
CERTIFICATE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 297]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 60>>stream\nBT /F1 18 Tf 40 200 Td (Certificate of completion) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _record(organization, actor, course: Course, *, technician=None, member=None, ago: int, expires_in=None) -> None:
    person = {"technician": technician} if technician else {"member": member}
    if TrainingRecord.objects.for_organization(organization).filter(course=course, **person).exists():
        return
    today = timezone.localdate()
    training.training_record_create(
        organization=organization,
        actor=actor,
        course_id=course.pk,
        technician_id=technician.pk if technician else None,
        member_id=member.pk if member else None,
        completed_on=today - timedelta(days=ago),
        expires_on=None if expires_in is None else today + timedelta(days=expires_in),
        certificate=SimpleUploadedFile("certificate.pdf", CERTIFICATE_PDF, content_type="application/pdf"),
    )


@transaction.atomic
def seed(demo: DemoContext) -> None:
    """Courses, records and the self-checkout rollout's requirements for Northwind."""
    northwind = demo.organizations["northwind"]
    members = {
        m.user.email: m
        for m in Membership.objects.for_organization(northwind).select_related("user").filter(is_active=True)
    }
    coordinator = Access(
        organization=northwind,
        role=Role.COORDINATOR,
        user=members["coordinator@northwind.example"].user,
        membership=members["coordinator@northwind.example"],
    )
    pm = Access(
        organization=northwind, role=Role.PM, user=members["pm@northwind.example"].user,
        membership=members["pm@northwind.example"],
    )  # fmt: skip
    courses = {}
    for name, roles, months, description in COURSES:
        courses[name] = Course.objects.for_organization(northwind).filter(name=name).first() or training.course_create(
            organization=northwind,
            actor=coordinator,
            name=name,
            roles=roles,
            validity_months=months,
            description=description,
        )
    technicians = {t.email: t for t in Technician.objects.for_organization(northwind).active().order_by("full_name")}
    special = {(email, course) for email, course, _, _ in SPECIAL}
    for index, (email, technician) in enumerate(technicians.items()):
        ago = 40 + 23 * index  # completions spread over the last year, all well inside the two-year validity
        if (email, SAFETY) not in special:
            _record(northwind, coordinator, courses[SAFETY], technician=technician, ago=ago)
        if email != UNTRAINED_FOR_KIOSK:
            _record(northwind, coordinator, courses[KIOSK], technician=technician, ago=ago + 5)
    for email, course, ago, expires_in in SPECIAL:
        person = {"technician": technicians[email]} if email in technicians else {"member": members[email]}
        _record(northwind, coordinator, courses[course], ago=ago, expires_in=expires_in, **person)
    program = Program.objects.for_organization(northwind).filter(code=SCO_CODE).first()
    if program is None:
        return
    for course, role in ((KIOSK, Role.TECHNICIAN), (LEADERSHIP, Role.PM)):
        exists = ProgramCourseRequirement.objects.for_organization(northwind).filter(
            program=program, course=courses[course], role=role
        )
        if not exists.exists():
            program_course_requirement_add(
                organization=northwind, actor=pm, program_id=program.pk, course_id=courses[course].pk, role=role
            )
