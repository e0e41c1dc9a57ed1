"""A sync worker in a process of its own that a test can SIGKILL, and waiting on conditions."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from bm.extensions import db
from bm.jobs import redis_connection
from plugins.xero.models import SyncRun, XeroConnection
from plugins.xero.sync.engine import SyncBusy, organisation_lock

from .conftest import last_run_id, runs_after

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout=120):
    """Return once ``condition()`` is true; fail after ``timeout`` seconds (generous: a busy machine is slow)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the condition")


def process_env(app, sandbox):
    """The environment for an app process of the test's own (web or worker): its database, Redis,
    instance folder, the sandbox as Xero, and the test app's sync lock and heartbeat settings."""
    redis_url = app.config.get("REDIS_URL") or f"unix://{redis_connection(app).socket_file}"
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "BM_INSTANCE_PATH": app.instance_path,
            "REDIS_URL": redis_url, "XERO_BASE_URL": sandbox.url, "XERO_CLIENT_ID": "sandbox-app",
            "XERO_CLIENT_SECRET": "sandbox-secret", "XERO_HTTP_TIMEOUT": "20", "XERO_HTTP_BACKOFF": "0.01",
            "BM_LOG_LEVEL": "WARNING", "XERO_SYNC_LOCK_SECONDS": str(app.config["XERO_SYNC_LOCK_SECONDS"]),
            "BM_WORKER_HEARTBEAT_SECONDS": str(app.config["BM_WORKER_HEARTBEAT_SECONDS"])}


class Worker:
    """``flask xero sync`` in its own process, as a worker runs it, that the test can SIGKILL."""

    def __init__(self, app, sandbox):
        self.lock_seconds = int(app.config["XERO_SYNC_LOCK_SECONDS"])
        self.env = process_env(app, sandbox)
        self.sandbox, self.process = sandbox, None

    def start(self):
        """Start ``flask xero sync``, remembering the runs and Xero calls there were before it."""
        self.tenant_id = db.session.scalar(select(XeroConnection.tenant_id))
        self.first_run, self.calls_before = last_run_id(), self.sandbox.stats()["calls"]
        db.session.commit()
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "bm.wsgi", "xero", "sync"], cwd=ROOT,
                                        env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return self

    def reaches(self, endpoint, calls=1):
        """Wait until the worker has made ``calls`` calls to an endpoint of Xero's (the sandbox counts them)."""
        wait_until(lambda: self.sandbox.stats()["calls"].get(endpoint, 0) >= self.calls_before.get(endpoint, 0) + calls)

    def kill(self):
        """SIGKILL the worker, then wait until the organisation lock it held has run out (no database read)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        wait_until(self.lock_is_free)

    def killed_run(self):
        """The sync run the killed worker left behind, checked to have died in the middle of its work."""
        db.session.expire_all()
        killed = db.session.scalar(select(SyncRun).where(SyncRun.id > self.first_run).order_by(SyncRun.id))
        assert killed is not None and killed.state == "running", "the worker was not killed in the middle of a run"
        return killed

    def runs(self):
        """How many sync runs started since this worker did, its own included."""
        return runs_after(self.first_run)

    def lock_is_free(self):
        """Whether the organisation's sync lock can be taken (it is released again at once)."""
        try:
            with organisation_lock(redis_connection(), self.tenant_id, self.lock_seconds):
                return True
        except SyncBusy:
            return False

    def stop(self):
        """Kill the worker if it still runs and close its output."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdout.close()
