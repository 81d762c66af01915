"""Factories that keep a whole object graph inside one organization."""

import factory
from django.utils import timezone

from rollout.choices import Role
from rollout.models import Client, Membership, Organization, User
from rollout.services import api_token_create

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Rollout Co {n}")
    slug = factory.Sequence(lambda n: f"rollout-co-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"client-{n}")
    name = factory.Sequence(lambda n: f"Client {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.PM
    client = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == Role.CLIENT),
        yes_declaration=factory.SubFactory(ClientFactory, organization=factory.SelfAttribute("..organization")),
        no_declaration=None,
    )


def issue_token(organization, role=Role.INTEGRATOR, client=None, expires_at=None) -> str:
    """A real API token (through the service), returning the raw key."""
    return api_token_create(
        organization=organization,
        actor=None,
        name=f"{role} token {timezone.now():%H%M%S%f}",
        role=role,
        client=client,
        expires_at=expires_at,
    ).key
