"""A bounded schemathesis run over every operation of the API, in process (WSGI), with the conformance checks.

Used by tests/rollout/test_openapi_conformance.py; also runnable on its own against the current database to print
the figures (cases, operations, failures per check) and each failure:

    DJANGO_SETTINGS_MODULE=rollout.settings.test .venv/bin/python -m tests.openapi_conformance [TOKEN]

(with the demo loaded into var/tutti.sqlite3 and a token from `manage.py create_api_token`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

#: The checks that hold the schema to what the API answers (the other checks judge the API, not the schema).
CHECKS = ["response_schema_conformance", "status_code_conformance", "content_type_conformance"]
#: Small and fixed, so that the run is bounded (≈ operations × examples requests) and repeatable.
MAX_EXAMPLES = 4
SEED = 20261205
SCHEMA_PATH = "/api/schema/?format=json"


@dataclass
class Figures:
    """What one run did: how many cases over how many operations, and which checks failed where."""

    operations: int = 0
    cases: int = 0
    failures: Counter = field(default_factory=Counter)  # check name -> failing cases
    messages: dict = field(default_factory=dict)  # (operation, check) -> one message
    errors: list = field(default_factory=list)  # operations the engine could not test, with why

    def summary(self) -> str:
        per_check = ", ".join(f"{check} {self.failures.get(check, 0)}" for check in CHECKS)
        return f"{self.cases} cases over {self.operations} operations; failures: {per_check}"

    def report(self) -> str:
        lines = [self.summary()]
        for (operation, check), message in sorted(self.messages.items()):
            lines.append(f"- {operation} [{check}]: {message}")
        lines.extend(f"! {error}" for error in self.errors)
        return "\n".join(lines)


def run(app, *, token: Callable[[], str], max_examples: int = MAX_EXAMPLES, seed: int = SEED) -> Figures:
    """Test every operation of the schema `app` serves, each request carrying `Authorization: Bearer <token()>`,
    and count the conformance failures. `token` is asked before every request, so that it can replace a token
    the run itself revoked (`api-tokens/{id}/revoke/` is an operation too) instead of testing 401s from then on."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import Status, events, from_schema

    config = SchemathesisConfig.from_dict(
        {
            "seed": seed,
            # No replay of earlier runs' failures: the same cases every time, whatever ran before.
            "cache": {"enabled": False},
            "suppress-health-check": ["all"],
            "continue-on-failure": True,
            "workers": 1,
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "generation": {"max-examples": max_examples, "deterministic": True, "database": "none"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, app, config=config)

    @schema.auth(refresh_interval=None)
    class Bearer:
        def get(self, case, context):
            return token()

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    figures = Figures()
    tested = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError):
            figures.errors.append(f"{event.label}: {event.value!r}"[:500])
        if not isinstance(event, events.ScenarioFinished) or event.status == Status.SKIP:
            continue
        recorder = event.recorder
        tested.add(recorder.label)
        figures.cases += len(recorder.cases)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.status != Status.FAILURE:
                    continue
                figures.failures[check.name] += 1
                failure = check.failure_info.failure if check.failure_info else None
                interaction = recorder.interactions.get(case_id)
                sent = f"{interaction.request.method} {interaction.request.uri} → " if interaction else ""
                text = sent + (f"{failure.title}: {failure.message}" if failure else "")
                figures.messages.setdefault((recorder.label, check.name), " ".join(text.split())[:400])
    figures.operations = len(tested)
    return figures


if __name__ == "__main__":  # pragma: no cover - a tool for people
    import sys

    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    key = sys.argv[1] if len(sys.argv) > 1 else ""
    result = run(get_wsgi_application(), token=lambda: key)
    print(result.report())
