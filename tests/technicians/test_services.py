"""Services of the technicians app: audited writes, their rules, and the invitation that links an account."""

from datetime import date, time
from decimal import Decimal

import pytest

from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent, Invitation
from rollout.services import invitation_accept
from technicians import services
from technicians.errors import AlreadyJoined, SkillInactive, TimeOffOverlap, VendorInactive
from technicians.models import Technician, TimeOff
from tests.factories import MembershipFactory, UserFactory
from tests.technicians.builders import access_of
from tests.technicians.factories import SkillFactory, TechnicianFactory, TimeOffFactory, VendorFactory


def verbs(organization, target) -> list[str]:
    return list(
        AuditEvent.objects.for_organization(organization)
        .filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- Vendors and skills -----------------------------------------------------------------------------


def test_vendor_lifecycle_is_audited(tenant, coordinator):
    # given a coordinator
    organization = tenant.organization
    # when they add a vendor, change its insurance, deactivate and reactivate it
    vendor = services.vendor_create(
        organization=organization, actor=coordinator, code="summit", name="Summit Tech", contact_name="Ray"
    )
    services.vendor_update(
        organization=organization, actor=coordinator, vendor_id=vendor.pk, insurance_expires_on=date(2027, 6, 30)
    )
    services.vendor_update(organization=organization, actor=coordinator, vendor_id=vendor.pk, name="Summit Tech")
    services.vendor_set_active(organization=organization, actor=coordinator, vendor_id=vendor.pk, active=False)
    services.vendor_set_active(organization=organization, actor=coordinator, vendor_id=vendor.pk, active=False)
    services.vendor_set_active(organization=organization, actor=coordinator, vendor_id=vendor.pk, active=True)
    # then every real change is audited once (no-op changes are not)
    assert verbs(organization, vendor) == [
        "vendor.created",
        "vendor.updated",
        "vendor.deactivated",
        "vendor.reactivated",
    ]
    update = AuditEvent.objects.get(verb="vendor.updated", target_id=str(vendor.pk))
    assert (update.before, update.after) == ({"insurance_expires_on": None}, {"insurance_expires_on": "2027-06-30"})
    assert update.actor_user == coordinator.user


def test_vendor_codes_are_unique_per_organization(tenant, other_tenant, coordinator):
    # given a vendor code in another organization and one in ours
    VendorFactory(organization=other_tenant.organization, code="summit")
    services.vendor_create(organization=tenant.organization, actor=coordinator, code="summit", name="Summit")
    # when we add the same code again
    with pytest.raises(ApplicationError) as error:
        services.vendor_create(organization=tenant.organization, actor=coordinator, code="summit", name="Again")
    # then it is refused on the code field
    assert (error.value.code, error.value.field) == ("duplicate_code", "code")


def test_skill_slugs_never_change_and_retired_skills_are_not_offered(tenant, coordinator):
    # given a skill
    organization = tenant.organization
    skill = services.skill_create(organization=organization, actor=coordinator, slug="pos-install", name="POS")
    # when its slug is changed, or the same slug added twice
    with pytest.raises(ApplicationError) as immutable:
        services.skill_update(organization=organization, actor=coordinator, skill_id=skill.pk, slug="pos")
    with pytest.raises(ApplicationError) as duplicate:
        services.skill_create(organization=organization, actor=coordinator, slug="pos-install", name="Again")
    # then both are refused, while its name and certification rule may change
    assert immutable.value.code == "slug_immutable"
    assert duplicate.value.code == "duplicate_slug"
    services.skill_update(
        organization=organization, actor=coordinator, skill_id=skill.pk, name="POS install", requires_certification=True
    )
    services.skill_set_active(organization=organization, actor=coordinator, skill_id=skill.pk, active=False)
    assert verbs(organization, skill) == ["skill.created", "skill.updated", "skill.deactivated"]
    # and a retired skill cannot be given to anyone new
    with pytest.raises(SkillInactive):
        services.technician_create(
            organization=organization, actor=coordinator, email="a@x.example", full_name="A", skills=[skill]
        )


# --- Technicians ------------------------------------------------------------------------------------


def test_technician_create_and_update_are_audited_with_skills(tenant, coordinator):
    # given a vendor and two skills
    organization = tenant.organization
    vendor = VendorFactory(organization=organization)
    pos, cabling = SkillFactory(organization=organization, slug="pos"), SkillFactory(organization=organization)
    # when a coordinator creates a technician, then changes their skills and hours
    technician = services.technician_create(
        organization=organization,
        actor=coordinator,
        email=" Jordan.Lee@Example.com ",
        full_name="Jordan Lee",
        vendor=vendor,
        skills=[pos],
        home_latitude=32.7875601,
        home_longitude=-96.79887,
        working_days=["fri", "mon", "mon"],
    )
    services.technician_update(
        organization=organization,
        actor=coordinator,
        technician_id=technician.pk,
        skills=[pos, cabling],
        work_start=time(7, 0),
    )
    # then the profile is stored cleanly, in the organization's time zone by default, and both writes are audited
    technician.refresh_from_db()
    assert technician.email == "jordan.lee@example.com"
    assert technician.working_days == ["mon", "fri"]
    assert technician.home_latitude == Decimal("32.787560")
    assert technician.timezone == tenant.organization.timezone
    assert set(technician.skills.values_list("slug", flat=True)) == {pos.slug, cabling.slug}
    assert verbs(organization, technician) == ["technician.created", "technician.updated"]
    update = AuditEvent.objects.get(verb="technician.updated")
    assert update.before["skills"] == ["pos"]
    assert update.after["skills"] == sorted([pos.slug, cabling.slug])


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid_timezone", "timezone"),
        ({"home_latitude": 41.9}, "incomplete_coordinates", "home_longitude"),
        ({"home_latitude": 95, "home_longitude": 10}, "invalid_coordinates", "home_latitude"),
        ({"work_start": time(17, 0), "work_end": time(8, 0)}, "invalid_hours", "work_end"),
        ({"working_days": ["mon", "funday"]}, "invalid_weekday", "working_days"),
        ({"service_radius_km": 0}, "invalid_radius", "service_radius_km"),
    ],
)
def test_technician_values_are_checked(tenant, coordinator, values, code, field):
    # given / when a technician is created with one wrong value
    with pytest.raises(ApplicationError) as error:
        services.technician_create(
            organization=tenant.organization, actor=coordinator, email="x@x.example", full_name="X", **values
        )
    # then it is refused on that field, and nothing is created
    assert (error.value.code, error.value.field) == (code, field)
    assert not Technician.objects.exists()


def test_technician_rules_on_vendor_email_and_other_organizations(tenant, other_tenant, coordinator):
    # given an inactive vendor, an existing technician, and another organization's vendor and skill
    organization = tenant.organization
    inactive = VendorFactory(organization=organization, active=False)
    TechnicianFactory(organization=organization, email="taken@x.example")
    foreign_vendor = VendorFactory(organization=other_tenant.organization)
    foreign_skill = SkillFactory(organization=other_tenant.organization)

    def create(**values):
        return services.technician_create(organization=organization, actor=coordinator, full_name="X", **values)

    # when / then
    with pytest.raises(VendorInactive):
        create(email="a@x.example", vendor=inactive)
    with pytest.raises(ApplicationError) as duplicate:
        create(email="TAKEN@x.example")
    assert duplicate.value.code == "duplicate_email"
    with pytest.raises(NotFound):
        create(email="b@x.example", vendor=foreign_vendor)
    with pytest.raises(NotFound):
        create(email="c@x.example", skills=[foreign_skill])
    with pytest.raises(NotFound):
        services.technician_update(
            organization=organization,
            actor=coordinator,
            technician_id=TechnicianFactory(organization=other_tenant.organization).pk,
            full_name="Y",
        )


def test_a_technician_profile_for_an_existing_member_is_linked_at_once(tenant, coordinator):
    # given a member with the technician role and no profile yet
    member = tenant.members[Role.TECHNICIAN].user
    # when a coordinator creates a profile with their e-mail (in another case)
    technician = services.technician_create(
        organization=tenant.organization, actor=coordinator, email=member.email.upper(), full_name="Tech"
    )
    # then the profile is theirs already
    assert technician.user == member


def test_deactivating_a_technician_is_audited(tenant, coordinator):
    technician = TechnicianFactory(organization=tenant.organization)
    services.technician_set_active(
        organization=tenant.organization, actor=coordinator, technician_id=technician.pk, active=False
    )
    technician.refresh_from_db()
    assert technician.active is False
    assert verbs(tenant.organization, technician) == ["technician.deactivated"]


# --- Invitation -------------------------------------------------------------------------------------


def test_inviting_a_technician_emails_a_link_that_links_their_account_on_acceptance(
    tenant, other_tenant, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    # given a coordinator, and a profile with the same e-mail in another organization
    elsewhere = TechnicianFactory(organization=other_tenant.organization, email="keisha@coastal.example")
    # when they invite a new technician
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.technician_invite(
            organization=tenant.organization,
            actor=coordinator,
            email="Keisha@Coastal.example",
            full_name="Keisha Brown",
            phone="+1 404 555 0103",
        )
    # then the profile exists unlinked, the e-mail carries the same link the coordinator can text
    technician = issued.technician
    assert technician.user is None
    assert issued.invitation.role == Role.TECHNICIAN
    assert mailoutbox[0].to == ["keisha@coastal.example"]
    assert issued.accept_url in mailoutbox[0].body
    assert issued.accept_url.endswith(f"/invitations/{issued.token}/")
    assert issued.text_message.startswith("Hi Keisha, Acme Rollouts invites you to Tutti")
    assert issued.accept_url in issued.text_message
    assert verbs(tenant.organization, technician) == ["technician.created", "technician.invited"]
    # when they accept and set a password (the core sends member_joined after commit)
    with django_capture_on_commit_callbacks(execute=True):
        membership = invitation_accept(token=issued.token, full_name="Keisha Brown", password="a-long-passphrase-42")
    # then their account is linked to the profile in this organization only, and the link is audited
    technician.refresh_from_db()
    elsewhere.refresh_from_db()
    assert technician.user == membership.user
    assert elsewhere.user is None
    assert verbs(tenant.organization, technician)[-1] == "technician.linked"


def test_reinviting_reuses_the_unlinked_profile_and_a_joined_technician_is_refused(tenant, coordinator):
    # given a technician who was invited once
    first = services.technician_invite(
        organization=tenant.organization, actor=coordinator, email="ana@summit.example", full_name="Ana Ruiz"
    )
    # when they are invited again (no name needed: the profile exists)
    second = services.technician_invite(organization=tenant.organization, actor=coordinator, email="ana@summit.example")
    # then the same profile gets a fresh link and the first one stops working
    assert second.technician.pk == first.technician.pk
    assert second.token != first.token
    assert Invitation.objects.get(pk=first.invitation.pk).status == Invitation.Status.REVOKED
    assert Technician.objects.count() == 1
    # and once they joined, inviting them is refused
    Technician.objects.filter(pk=first.technician.pk).update(user=UserFactory(email="ana@summit.example"))
    with pytest.raises(AlreadyJoined):
        services.technician_invite(organization=tenant.organization, actor=coordinator, email="ana@summit.example")


def test_inviting_needs_a_name_for_a_new_profile_and_refuses_existing_members(tenant, coordinator):
    with pytest.raises(ApplicationError) as nameless:
        services.technician_invite(organization=tenant.organization, actor=coordinator, email="new@x.example")
    assert (nameless.value.code, nameless.value.field) == ("required", "full_name")
    # an active member of the organization is refused by the core, and no profile is left behind
    member = MembershipFactory(organization=tenant.organization, role=Role.PM, user__email="pm2@x.example")
    with pytest.raises(ApplicationError) as existing:
        services.technician_invite(
            organization=tenant.organization, actor=coordinator, email=member.user.email, full_name="PM Two"
        )
    assert existing.value.code == "already_member"
    assert not Technician.objects.filter(email="pm2@x.example").exists()


def test_linking_is_idempotent(tenant):
    # given an unlinked profile and the user with its e-mail
    technician = TechnicianFactory(organization=tenant.organization, email="omar@x.example")
    user = UserFactory(email="omar@x.example")
    # when the link is made twice
    first = services.technician_link_user(organization=tenant.organization, user=user)
    second = services.technician_link_user(organization=tenant.organization, user=user)
    # then it is one profile, linked once
    assert first == second == technician
    assert verbs(tenant.organization, technician) == ["technician.linked"]
    assert services.technician_link_user(organization=tenant.organization, user=UserFactory()) is None


# --- Certifications and time off --------------------------------------------------------------------


def test_certification_lifecycle(tenant, coordinator, other_tenant):
    # given a technician and a skill that requires certification
    organization = tenant.organization
    technician = TechnicianFactory(organization=organization)
    skill = SkillFactory(organization=organization, requires_certification=True)
    # when a certification is recorded, renewed, then removed
    certification = services.certification_create(
        organization=organization,
        actor=coordinator,
        technician_id=technician.pk,
        name="BICSI Installer 2",
        skill=skill,
        issued_on=date(2024, 1, 1),
        expires_on=date(2026, 1, 1),
    )
    services.certification_update(
        organization=organization, actor=coordinator, certification_id=certification.pk, expires_on=date(2029, 1, 1)
    )
    certification_id = certification.pk
    services.certification_delete(organization=organization, actor=coordinator, certification_id=certification_id)
    # then each step is audited
    assert list(
        AuditEvent.objects.filter(target_id=str(certification_id), target_type="technicians.certification")
        .order_by("id")
        .values_list("verb", flat=True)
    ) == ["certification.created", "certification.updated", "certification.deleted"]
    # and dates out of order, or another organization's skill, are refused
    with pytest.raises(ApplicationError) as dates:
        services.certification_create(
            organization=organization,
            actor=coordinator,
            technician_id=technician.pk,
            name="X",
            issued_on=date(2026, 1, 1),
            expires_on=date(2025, 1, 1),
        )
    assert (dates.value.code, dates.value.field) == ("invalid_dates", "expires_on")
    with pytest.raises(NotFound):
        services.certification_create(
            organization=organization,
            actor=coordinator,
            technician_id=technician.pk,
            name="X",
            skill=SkillFactory(organization=other_tenant.organization),
        )


def test_time_off_overlaps_are_refused_and_changes_audited(tenant, coordinator):
    # given a technician with a week off
    organization = tenant.organization
    technician = TechnicianFactory(organization=organization)
    week = services.time_off_create(
        organization=organization,
        actor=coordinator,
        technician_id=technician.pk,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 6),
        reason="Vacation",
    )
    # when another time off overlaps it, or ends before it starts
    with pytest.raises(TimeOffOverlap) as overlap:
        services.time_off_create(
            organization=organization,
            actor=coordinator,
            technician_id=technician.pk,
            start_date=date(2026, 3, 6),
            end_date=date(2026, 3, 9),
        )
    with pytest.raises(ApplicationError) as backwards:
        services.time_off_create(
            organization=organization,
            actor=coordinator,
            technician_id=technician.pk,
            start_date=date(2026, 4, 9),
            end_date=date(2026, 4, 6),
        )
    # then both are refused with a clear reason
    assert "Mar 2 to Mar 6, 2026" in overlap.value.message
    assert backwards.value.code == "invalid_dates"
    # and the week itself can move and be cancelled, audited
    services.time_off_update(
        organization=organization, actor=coordinator, time_off_id=week.pk, end_date=date(2026, 3, 9)
    )
    services.time_off_delete(organization=organization, actor=coordinator, time_off_id=week.pk)
    assert list(
        AuditEvent.objects.filter(target_type="technicians.timeoff").order_by("id").values_list("verb", flat=True)
    ) == ["time_off.created", "time_off.updated", "time_off.deleted"]


def test_a_technician_may_record_only_their_own_time_off(tenant):
    # given the technician member's own profile and a colleague's
    me = tenant.members[Role.TECHNICIAN].user
    mine = TechnicianFactory(organization=tenant.organization, email=me.email, user=me)
    colleague = TechnicianFactory(organization=tenant.organization)
    access = access_of(tenant, Role.TECHNICIAN)
    # when they record time off for themselves and for the colleague
    own = services.time_off_create(
        organization=tenant.organization,
        actor=access,
        technician_id=mine.pk,
        start_date=date(2026, 5, 1),
        end_date=date(2026, 5, 1),
    )
    with pytest.raises(NotFound):
        services.time_off_create(
            organization=tenant.organization,
            actor=access,
            technician_id=colleague.pk,
            start_date=date(2026, 5, 1),
            end_date=date(2026, 5, 1),
        )
    # then only their own is recorded, by them
    assert own.created_by == me
    assert TimeOff.objects.count() == 1
    with pytest.raises(NotFound):
        services.time_off_delete(
            organization=tenant.organization,
            actor=access,
            time_off_id=TimeOffFactory(technician=colleague).pk,
        )
