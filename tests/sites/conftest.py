"""Fixtures of the sites tests: running an import the way the app does (the builders are in tests/sites/builders.py)."""

from pathlib import Path

import pytest

from tests.sites.builders import commit_import, run_import


@pytest.fixture
def importer(tenant, django_capture_on_commit_callbacks):
    """`importer.run(content, name)` and `importer.commit(site_import)` for the tenant's client."""

    class Importer:
        def run(self, content, name="sites.csv", **kwargs):
            return run_import(tenant, content, name, capture=django_capture_on_commit_callbacks, **kwargs)

        def commit(self, site_import, **kwargs):
            return commit_import(tenant, site_import, capture=django_capture_on_commit_callbacks, **kwargs)

    return Importer()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path):
    settings.MEDIA_ROOT = tmp_path / "media"
