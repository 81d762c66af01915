"""docker-compose.yml's web health check, without Docker: the web service's command (its `command`, else the
image's CMD from the Dockerfile) runs with the service's environment as compose would give it — production
settings, its ALLOWED_HOSTS, the HTTPS redirect on — against the test database, and the health check's own
command must then succeed (it failed with 400 DisallowedHost, then with a redirect to https)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.workers import database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db]

COMPOSE = settings.BASE_DIR / "docker-compose.yml"
DOCKERFILE = settings.BASE_DIR / "Dockerfile"
COMPOSE_PORT = 8000  # what the command binds and the health check probes, inside the container
_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def interpolate(value: str, environ: dict) -> str:
    """Compose's variable substitution: ${NAME}, ${NAME:-default}, ${NAME:?error}."""

    def substitute(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if environ.get(name):
            return environ[name]
        if op == ":?":
            raise AssertionError(f"compose needs {name}: {arg}")
        return arg if op == ":-" else ""

    return _VARIABLE.sub(substitute, value)


def web_service() -> tuple[dict, list[str], list[str]]:
    """(the web service's environment, its command, its health check command), with variables substituted as
    `DJANGO_SECRET_KEY=… docker compose up` would (nothing else set)."""
    web = yaml.safe_load(COMPOSE.read_text())["services"]["web"]  # `<<: *app` merged by the YAML loader
    given = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    environment = {name: interpolate(str(value), given) for name, value in web["environment"].items()}
    command = web.get("command")
    if command is None:  # the image's CMD
        cmd = next(line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD "))
        command = json.loads(cmd[4:])
        image_env = " ".join(line[4:] for line in DOCKERFILE.read_text().splitlines() if line.startswith("ENV "))
        for name, value in re.findall(r"(\w+)=(\S+)", image_env):
            environment.setdefault(name, value)
    elif isinstance(command, str):
        command = shlex.split(command)
    test = web["healthcheck"]["test"]
    check = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]
    return environment, command, check


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_compose_web_health_check_passes_against_the_web_command(tmp_path):
    environment, command, check = web_service()
    # given compose's web environment, except what names compose's own network and volumes: the test database,
    # this machine's broker (or none: the filesystem queue) and a temporary directory for files
    assert environment["DJANGO_SETTINGS_MODULE"] == "rollout.settings.production"
    environment["DATABASE_URL"] = database_url()
    if os.environ.get("REDIS_URL"):
        environment["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        environment.pop("REDIS_URL", None)
    environment["TUTTI_VAR_DIR"] = str(tmp_path)
    environment["TUTTI_CELERY_QUEUE"] = f"compose-check-{secrets.token_hex(4)}"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **environment}
    # and the web command as the image runs it, on a free port of this machine instead of the container's 8000
    # (one worker: this machine's CPUs are shared)
    port = free_port()
    assert command[0] == "gunicorn" and f"0.0.0.0:{COMPOSE_PORT}" in command, command
    argv = [str(Path(sys.executable).with_name("gunicorn"))]
    for argument in command[1:]:
        argv.append(argument.replace(f"0.0.0.0:{COMPOSE_PORT}", f"127.0.0.1:{port}"))
    if "--workers" in argv:
        argv[argv.index("--workers") + 1] = "1"
    log = open(tmp_path / "web.log", "w")  # noqa: SIM115 - closed below
    web = subprocess.Popen(argv, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: _listening(port), timeout=60, interval=0.25), (tmp_path / "web.log").read_text()[-3000:]
        # when the health check's own command runs (in the container, with the same Host: 127.0.0.1:8000 there)
        probe = [sys.executable if part == "python" else part for part in check]
        probe = [part.replace(f"127.0.0.1:{COMPOSE_PORT}", f"127.0.0.1:{port}") for part in probe]
        result = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60)
        # then it succeeds: no 400 DisallowedHost, no redirect to https
        assert result.returncode == 0, result.stderr[-2000:] + (tmp_path / "web.log").read_text()[-2000:]
        # and the answer is the health report, while any other page still refuses that host
        import urllib.error
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
            report = json.loads(answer.read())
        assert report["status"] in {"ok", "degraded"}, report
        assert report["checks"]["database"]["ok"], report
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=30)
        assert refused.value.code == 400
    finally:
        web.terminate()
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait(timeout=20)
        log.close()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
