"""The README's API section is true: every `sh` block in it runs, as written, against a live server.

The blocks run in order in one shell (so `TOKEN=…` carries over), from the repository's root, with the
management commands on the test database and `TUTTI_PORT` set to the live server's port — the README's URLs
follow `TUTTI_PORT` as `make run` does. `curl` answers an HTTP error with a failure, so a 403 fails the test.
"""

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from rollout.models import Client, Organization
from rollout.settings.base import served_base_url
from tests.factories import OrganizationFactory
from tests.workers import database_url

README = Path(settings.BASE_DIR) / "README.md"
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>\w*)[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


def readme_section(title: str) -> str:
    """The README's text under `### <title>`, up to the next heading of the same or a higher level."""
    text = README.read_text()
    start = text.index(f"\n### {title}\n")
    following = re.compile(r"^#{1,3} ", re.M).search(text, start + 1 + len(title) + 5)
    return text[start : following.start() if following else len(text)]


def sh_blocks(section: str) -> list[str]:
    """The fenced `sh` blocks of a README section, with a list item's indentation taken off."""
    blocks = []
    for match in FENCE.finditer(section):
        if match.group("info") == "sh":
            indent = len(match.group("indent"))
            blocks.append("".join(line[indent:] for line in match.group("body").splitlines(keepends=True)))
    return blocks


def test_the_readme_api_section_has_its_commands():
    blocks = sh_blocks(readme_section("REST API"))
    assert len(blocks) >= 2
    assert any("create_api_token" in block for block in blocks)
    assert any("curl" in block and "/clients/" in block for block in blocks)


@pytest.mark.django_db(transaction=True)
def test_every_command_of_the_readme_api_section_runs_as_written(live_server):
    # given the demo's organization the README names, and a live server
    organization = OrganizationFactory(slug="northwind", name="Northwind Retail")
    blocks = sh_blocks(readme_section("REST API"))
    port = urlsplit(live_server.url).port
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rollout.settings.test",
        "DATABASE_URL": database_url(),
        "TUTTI_PORT": str(port),
    }
    # curl as the README writes it, but an HTTP error fails the script (and shows the body).
    prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body --max-time 30 "$@"; echo; }\n'
    # when the blocks run, in order, in one shell
    result = subprocess.run(
        ["bash", "-c", prelude + "\n".join(blocks)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # then every command succeeded
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # the first block printed a token
    assert lines[0].startswith("tutti_"), result.stdout
    # /me/ answered for the integrator token of that organization
    assert '"role":"integrator"' in result.stdout.replace(" ", ""), result.stdout
    assert '"slug":"northwind"' in result.stdout.replace(" ", ""), result.stdout
    # and the integrator created the client
    created = Client.objects.for_organization(Organization.objects.get(pk=organization.pk)).get(code="acme")
    assert created.name == "Acme Stores"


def test_links_follow_the_address_make_run_serves(tmp_path):
    # given make run's address, TUTTI_PORT and TUTTI_HOST, and no TUTTI_BASE_URL
    env = {key: value for key, value in os.environ.items() if key != "TUTTI_BASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="rollout.settings.development", TUTTI_PORT="8123", TUTTI_HOST="0.0.0.0")
    # when the settings load
    result = subprocess.run(
        [
            "python",
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.TUTTI_BASE_URL)",
        ],
        cwd=settings.BASE_DIR,
        env={**env, "PATH": f"{Path(settings.BASE_DIR) / '.venv' / 'bin'}:{env['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then e-mails, invitations and packet QR codes link there (a bind-all address links to loopback)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8123"
    assert served_base_url("127.0.0.1", "8000") == "http://127.0.0.1:8000"
    assert served_base_url("::", "9000") == "http://[::1]:9000"
    assert served_base_url("tutti.local", "80") == "http://tutti.local:80"
