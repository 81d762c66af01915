"""Print the URL and the demo sign-ins, for `make run`."""

from django.conf import settings
from django.core.management.base import BaseCommand

from rollout.demo.seed import DEMO_MEMBERS, DEMO_ORGANIZATIONS, DEMO_PASSWORD
from rollout.settings.base import served_base_url


class Command(BaseCommand):
    help = "Print where Tutti runs and how to sign in to the demo."

    def handle(self, *args, **options):
        url = served_base_url(settings.TUTTI_HOST, settings.TUTTI_PORT)
        names = {slug: name for slug, name, _ in DEMO_ORGANIZATIONS}
        lines = [
            "",
            "=" * 72,
            f"  Tutti is starting on  {url}/",
            f"  API docs              {url}/api/docs/",
            f"  Health                {url}/healthz",
            "",
            f"  Demo sign-ins (password for all: {DEMO_PASSWORD})",
        ]
        for org_slug, email, _name, role, _client in DEMO_MEMBERS:
            lines.append(f"    {role.label:<20} {email:<34} {names[org_slug]}")
        lines += ["", "  Press Ctrl+C to stop web, worker and beat.", "=" * 72, ""]
        self.stdout.write("\n".join(lines))
