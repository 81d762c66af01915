"""The OpenAPI schema is the integrators' contract: any change to it shows up here, on purpose or not.

The committed snapshot `tests/rollout/openapi-snapshot.yaml` is the schema as `manage.py spectacular` writes it.
A change to the API that is meant to change the schema updates the snapshot in the same commit; regenerate it
from the repository's root with

    DJANGO_SETTINGS_MODULE=rollout.settings.test .venv/bin/python manage.py spectacular \\
        --file tests/rollout/openapi-snapshot.yaml

and read its diff (`git diff tests/rollout/openapi-snapshot.yaml`) in the review: it is what integrators will see.
"""

import difflib
from pathlib import Path

from django.core.management import call_command

SNAPSHOT = Path(__file__).with_name("openapi-snapshot.yaml")
REGENERATE = (
    "DJANGO_SETTINGS_MODULE=rollout.settings.test .venv/bin/python manage.py spectacular "
    "--file tests/rollout/openapi-snapshot.yaml"
)


def test_the_openapi_schema_matches_the_committed_snapshot(tmp_path):
    # given the schema as the code generates it today
    generated = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(generated))
    # when it is compared with the committed snapshot
    expected = SNAPSHOT.read_text().splitlines(keepends=True)
    actual = generated.read_text().splitlines(keepends=True)
    diff = list(difflib.unified_diff(expected, actual, "openapi-snapshot.yaml", "generated", n=2))
    # then nothing changed (an intended change regenerates the snapshot, see the module's docstring)
    assert not diff, f"The OpenAPI schema drifted from its snapshot ({REGENERATE} if intended):\n" + "".join(diff[:200])
