"""Print the URL and the demo sign-ins, for `make run`."""

import os

from django.core.management.base import BaseCommand

from rollout.demo.seed import DEMO_MEMBERS, DEMO_ORGANIZATIONS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print where Tutti runs and how to sign in to the demo."

    def handle(self, *args, **options):
        host = os.environ.get("TUTTI_HOST", "127.0.0.1")
        port = os.environ.get("TUTTI_PORT", "8000")
        names = {slug: name for slug, name, _ in DEMO_ORGANIZATIONS}
        lines = [
            "",
            "=" * 72,
            f"  Tutti is starting on  http://{host}:{port}/",
            f"  API docs              http://{host}:{port}/api/docs/",
            f"  Health                http://{host}:{port}/healthz",
            "",
            f"  Demo sign-ins (password for all: {DEMO_PASSWORD})",
        ]
        for org_slug, email, _name, role, _client in DEMO_MEMBERS:
            lines.append(f"    {role.label:<20} {email:<34} {names[org_slug]}")
        lines += ["", "  Press Ctrl+C to stop web, worker and beat.", "=" * 72, ""]
        self.stdout.write("\n".join(lines))
