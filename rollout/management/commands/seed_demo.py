"""Build (or top up) the demo data: two organizations, a member per role, and each app's demo content."""

import importlib
import importlib.util

from django.core.management.base import BaseCommand

from rollout.demo import APP_SEEDERS, seed_core


class Command(BaseCommand):
    help = "Load the realistic demo organizations. Idempotent: running it again changes nothing."

    def handle(self, *args, **options):
        demo = seed_core()
        for app in APP_SEEDERS:
            if importlib.util.find_spec(f"{app}.demo") is not None:
                importlib.import_module(f"{app}.demo").seed(demo)
                self.stdout.write(f"  {app}: demo data ready")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(demo.organizations)} organizations."))
