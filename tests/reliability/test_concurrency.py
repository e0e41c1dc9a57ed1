"""Four workers and two web processes at once, while users edit: no lost update, no duplicate,
one sync per organisation at a time, one token refresh at a time.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from rq import Queue
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import Client, utcnow
from plugins.xero.models import SyncRun, XeroConnection

from .conftest import all_clients, duplicates_and_losses, last_run_id, runs_after, sync_until_settled
from .worker import wait_until

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
pytestmark = pytest.mark.reliability


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cluster(app, sandbox, make_user):
    """Two web processes and four workers sharing the test database and Redis."""
    make_user("one@example.com")
    make_user("two@example.com")
    redis_url = app.config.get("REDIS_URL") or f"unix://{redis_connection(app).socket_file}"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "BM_INSTANCE_PATH": app.instance_path,
           "REDIS_URL": redis_url, "XERO_BASE_URL": sandbox.url, "XERO_CLIENT_ID": "sandbox-app",
           "XERO_CLIENT_SECRET": "sandbox-secret", "XERO_HTTP_BACKOFF": "0.05", "BM_LOG_LEVEL": "WARNING"}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "bm.wsgi", "run", "--port", str(port),
                                   "--no-reload"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for port in ports]
    processes += [subprocess.Popen([sys.executable, "-m", "flask", "--app", "bm.wsgi", "worker"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(4)]
    try:  # whatever happens, no process outlives the test (left running, they would take the next tests' jobs)
        for port in ports:
            wait_until(lambda: answers(f"http://127.0.0.1:{port}/login"))
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def answers(url):
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or too busy to answer in time
        return False


def unfinished_runs():
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.state.in_(("queued", "running"))))


class User:
    def __init__(self, base, email):
        self.base, self.http = base, requests.Session()
        token = CSRF.search(self.http.get(f"{base}/login").text).group(1)
        self.http.post(f"{base}/login", data={"email": email, "password": "password", "csrf_token": token})

    def edit_client(self, client_id, version, **fields):
        page = self.http.get(f"{self.base}/clients/{client_id}/edit").text
        assert CSRF.search(page), page[:2000]
        form = dict(re.findall(r'name="([a-z_0-9]+)" (?:type="[a-z]+" )?value="([^"]*)"', page))
        form.update(fields, version=str(version), csrf_token=CSRF.search(page).group(1))
        return self.http.post(f"{self.base}/clients/{client_id}/edit", data=form, allow_redirects=False)

    def sync_now(self):
        page = self.http.get(f"{self.base}/tools/integrations/xero/").text
        self.http.post(f"{self.base}/tools/integrations/xero/sync", data={"csrf_token": CSRF.search(page).group(1)})


def test_four_workers_two_web_processes_and_editing_users(integrate, app, cluster, sandbox, in_xero, report):
    connection = integrate()
    for number in range(120):
        services.create_client({"name": f"Busy {number:03d}"})
    db.session.commit()
    contested = all_clients()[-1]
    contested_id, contested_version = contested.id, contested.version
    others = [(client.id, client.version) for client in all_clients()[-20:-1]]
    connection = db.session.get(XeroConnection, connection.id)
    connection.access_expires_at = utcnow() - timedelta(minutes=1)  # every process wants a fresh token
    db.session.commit()
    sandbox.advance_clock(31 * 60)
    token_calls_before = sandbox.stats()["calls"].get("POST /connect/token", 0)

    users = [User(cluster[0], "one@example.com"), User(cluster[1], "two@example.com")]
    outcomes = []
    barrier = threading.Barrier(2)

    def contest(user, email):
        barrier.wait()
        outcomes.append((email, user.edit_client(contested_id, contested_version, email=email).status_code))

    threads = [threading.Thread(target=contest, args=(user, f"{n}@contest.example")) for n, user in enumerate(users)]
    queue = Queue("default", connection=redis_connection(app))
    for _ in range(4):  # four workers get a sync job at the same moment
        queue.enqueue("plugins.xero.jobs.sync_organisation", None, "test")
    for thread in threads:
        thread.start()
    for user in users:
        user.sync_now()
    for thread in threads:
        thread.join()
    for number, (client_id, version) in enumerate(others):
        assert users[number % 2].edit_client(client_id, version, phone=f"0100 {number:04d}").status_code == 302

    wait_until(lambda: not (queue.count or queue.started_job_registry.count or unfinished_runs()), timeout=300)
    assert not [run.message for run in db.session.scalars(select(SyncRun).where(SyncRun.state == "failed"))]
    runs = sync_until_settled()

    statuses = sorted(status for _, status in outcomes)
    assert statuses == [302, 400]  # one edit saved, the other told of the conflict: nothing silently lost
    winner = next(email for email, status in outcomes if status == 302)
    assert db.session.get(Client, contested_id).email == winner

    finished = db.session.scalars(select(SyncRun).where(SyncRun.started_at.is_not(None)).order_by(SyncRun.started_at)).all()
    for earlier, later in zip(finished, finished[1:]):
        assert earlier.finished_at <= later.started_at, "two syncs of one organisation overlapped"
    assert not any("authorisation" in (run.message or "") for run in finished)
    assert sandbox.stats()["calls"].get("POST /connect/token", 0) - token_calls_before == 1
    assert db.session.get(XeroConnection, connection.id).status == "connected"

    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), all_clients()[-120:])
    contacts = {c.get("ContactNumber"): c for c in in_xero.contacts_all()}
    stale = [c.reference for c in all_clients()[-20:-1] if contacts[c.reference]["Phones"][0]["PhoneNumber"] != c.phone]
    report("4 workers + 2 web processes, users editing, token expired", "concurrency", len(finished) + runs,
           120, duplicates, lost + len(stale))
    assert (duplicates, lost, stale) == (0, 0, [])


REFRESH_RACE = """
import sys, time
from bm.wsgi import app
with app.app_context():
    from plugins.xero.oauth import client_for
    from plugins.xero.connection import active_connection
    xero = client_for(active_connection())
    while time.time() < float(sys.argv[1]):
        time.sleep(0.001)
    print(xero.organisation()["Name"])
"""


def test_four_processes_needing_a_new_token_at_once_refresh_it_once(integrate, app, sandbox, report):
    connection = integrate()
    connection.access_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    redis_url = app.config.get("REDIS_URL") or f"unix://{redis_connection(app).socket_file}"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "BM_INSTANCE_PATH": app.instance_path,
           "REDIS_URL": redis_url, "XERO_BASE_URL": sandbox.url, "XERO_CLIENT_ID": "sandbox-app",
           "XERO_CLIENT_SECRET": "sandbox-secret", "BM_LOG_LEVEL": "WARNING"}
    before, first_run = sandbox.stats()["calls"].get("POST /connect/token", 0), last_run_id()
    start_at = str(time.time() + 3)
    processes = [subprocess.Popen([sys.executable, "-c", REFRESH_RACE, start_at], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [process.communicate(timeout=60) for process in processes]
    refreshes = sandbox.stats()["calls"].get("POST /connect/token", 0) - before
    report("4 processes refreshing an expired token at the same instant", "token refresh race", runs_after(first_run),
           len(processes),
           refreshes - 1, sum(process.returncode != 0 for process in processes))
    assert [out.strip() for out, _err in results] == ["Demo Company (UK)"] * 4, [err[-800:] for _o, err in results]
    assert refreshes == 1
    db.session.expire_all()
    assert db.session.get(XeroConnection, connection.id).status == "connected"
