"""Print a new API token for scripts and CI: `manage.py create_api_token --organization SLUG --role integrator`."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rollout.choices import TOKEN_ROLES, Role
from rollout.errors import ApplicationError
from rollout.models import Client, Organization
from rollout.services import api_token_create


class Command(BaseCommand):
    help = "Issue an API token bound to one organization and role, and print its key (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="Organization slug.")
        parser.add_argument("--role", default=Role.INTEGRATOR, choices=sorted(r.value for r in TOKEN_ROLES))
        parser.add_argument("--name", default="", help="A label for the token (default: '<role> (CLI)').")
        parser.add_argument("--client", default="", help="Client code (required for the client role).")
        parser.add_argument("--expires-in-days", type=int, default=None, help="Expire after this many days.")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['organization']!r}.")
        client = None
        if options["client"]:
            client = Client.objects.for_organization(organization).filter(code=options["client"]).first()
            if client is None:
                raise CommandError(f"No client with code {options['client']!r} in {organization.slug}.")
        expires_at = None
        if options["expires_in_days"] is not None:
            expires_at = timezone.now() + timedelta(days=options["expires_in_days"])
        try:
            issued = api_token_create(
                organization=organization,
                actor=None,
                name=options["name"] or f"{options['role']} (CLI)",
                role=options["role"],
                client=client,
                expires_at=expires_at,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(issued.key)
