"""`make run`: a crashed process is started again (honcho stops everything when one of its processes exits), and
the web server is gunicorn with a fixed number of threads (one database connection each, at most)."""

import os
import signal
import subprocess
import time

from django.conf import settings

KEEP_RUNNING = settings.BASE_DIR / "scripts" / "keep-running"


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_crashing_process_is_started_again_and_stops_when_told(tmp_path):
    # given a process that records each start, then crashes
    starts = tmp_path / "starts"
    command = f"echo started >> {starts}; exit 3"
    runner = subprocess.Popen([str(KEEP_RUNNING), "crashy", "sh", "-c", command], stderr=subprocess.PIPE, text=True)
    try:
        # when it has crashed twice, then it was started again each time
        assert wait_for(lambda: starts.exists() and len(starts.read_text().splitlines()) >= 2)
        assert runner.poll() is None
    finally:
        # and told to stop, it stops (and says why it restarted)
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=10) == 0
    assert "crashy exited with status 3; starting it again" in runner.stderr.read()


def test_stopping_passes_the_signal_to_the_running_command(tmp_path):
    # given a long-running command that notes when it is told to stop
    stopped = tmp_path / "stopped"
    ready = tmp_path / "ready"
    command = f"trap 'echo bye > {stopped}; exit 0' TERM; touch {ready}; while :; do sleep 0.1; done"
    runner = subprocess.Popen([str(KEEP_RUNNING), "server", "sh", "-c", command])
    assert wait_for(ready.exists)
    # when the runner is stopped, as honcho stops it
    runner.send_signal(signal.SIGTERM)
    # then the command got the signal and nothing is started again
    assert runner.wait(timeout=10) == 0
    assert stopped.read_text().strip() == "bye"


def test_make_run_runs_each_process_under_keep_running_and_web_on_bounded_gunicorn_threads():
    lines = dict(
        line.split(":", 1) for line in (settings.BASE_DIR / "Procfile.dev").read_text().splitlines() if line.strip()
    )
    assert set(lines) == {"web", "worker", "beat"}
    for name, command in lines.items():
        assert command.strip().startswith(f"scripts/keep-running {name} "), name
    web = lines["web"].split()
    assert web[2].endswith("gunicorn") and "runserver" not in lines["web"]
    assert web[web.index("--workers") + 1] == "1" and int(web[web.index("--threads") + 1]) <= 8
    assert os.access(KEEP_RUNNING, os.X_OK)
