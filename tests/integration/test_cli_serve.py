from typer.testing import CliRunner

from bloodbank.config import get_settings
from bloodbank.entrypoints.cli import app


def test_serve_refuses_to_start_with_the_test_suites_cheap_password_hashing(monkeypatch):
    monkeypatch.setenv("BLOODBANK_PASSWORD_HASHING", "test")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "9"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "for the test suite only" in " ".join(result.output.split())


def test_the_tool_switch_turns_a_missing_tool_into_a_failure(monkeypatch):
    import pytest

    from tests import tools

    monkeypatch.setattr(tools, "REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match="a tool is missing: no zbarimg"):
        tools.missing_tool("no zbarimg")
    monkeypatch.setattr(tools, "REQUIRED", False)
    with pytest.raises(pytest.skip.Exception, match="no zbarimg"):
        tools.missing_tool("no zbarimg")


def test_serve_with_two_workers_runs_a_supervisor_and_two_worker_processes_that_answer(tmp_path):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from bloodbank.adapters.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'served.db'}"
    upgrade(url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BLOODBANK_DATABASE_URL": url}
    env.pop("BLOODBANK_PASSWORD_HASHING", None)
    server = subprocess.Popen(
        [sys.executable, "-c", "from bloodbank.entrypoints.cli import app; app()", "serve", "--port", str(port),
         "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    answered = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and answered is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                    answered = answer.status
            except OSError:
                time.sleep(0.3)
        time.sleep(1)  # both workers have started by the time one answers, give or take a moment
        group = subprocess.run(["ps", "-o", "pid=", "-g", str(server.pid)], capture_output=True, text=True)
        processes = len(group.stdout.split())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert answered == 200
    assert processes >= 3  # the supervisor and its two workers
