"""`manage.py create_database`: create the configured PostgreSQL database if it does not exist (run by
`make migrate`, so `DATABASE_URL=postgres://…/newdb make run` works without a manual createdb)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from rollout.database import database_create_if_missing


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database if it does not exist (nothing to do for SQLite)."

    def handle(self, *args, **options):
        config = settings.DATABASES["default"]
        if database_create_if_missing(config):
            self.stdout.write(f"Created the PostgreSQL database {config['NAME']}.")
