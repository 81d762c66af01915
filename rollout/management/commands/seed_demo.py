"""Build (or top up) the demo data: two organizations, a member per role, and each app's demo content."""

from django.core.management.base import BaseCommand

from rollout.demo.seed import APP_SEEDERS, demo_seeder, seed_core


class Command(BaseCommand):
    help = "Load the realistic demo organizations. Idempotent: running it again changes nothing."

    def handle(self, *args, **options):
        demo = seed_core()
        for module in APP_SEEDERS:
            seeder = demo_seeder(module)
            if seeder is not None:
                seeder.seed(demo)
                self.stdout.write(f"  {module}: demo data ready")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(demo.organizations)} organizations."))
