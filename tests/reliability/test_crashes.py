"""Crash safety: a worker killed with SIGKILL at five points of a sync loses and doubles nothing."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bm import services
from bm.extensions import db
from bm.jobs import redis_connection
from plugins.xero.models import ContactLink, XeroContact

from .conftest import all_clients, duplicates_and_losses, sync_until_settled

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.reliability
LOCK_SECONDS = 2


@pytest.fixture
def app_config(app_config):
    return {**app_config, "XERO_SYNC_LOCK_SECONDS": LOCK_SECONDS}


@pytest.fixture
def sync_process(app, sandbox):
    """Start ``flask xero sync`` in its own process, as a worker would run it; killed after."""
    started = []

    def start():
        redis_url = app.config.get("REDIS_URL") or f"unix://{redis_connection(app).socket_file}"
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "BM_INSTANCE_PATH": app.instance_path, "REDIS_URL": redis_url, "XERO_BASE_URL": sandbox.url,
               "XERO_CLIENT_ID": "sandbox-app", "XERO_CLIENT_SECRET": "sandbox-secret",
               "XERO_HTTP_TIMEOUT": "20", "XERO_HTTP_BACKOFF": "0.01", "BM_LOG_LEVEL": "WARNING",
               "XERO_SYNC_LOCK_SECONDS": str(LOCK_SECONDS)}
        db.session.commit()
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "xero", "sync"], cwd=ROOT,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def calls(sandbox, endpoint):
    return sandbox.stats()["calls"].get(endpoint, 0)


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the worker to get there")


def kill_hard(process):
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    time.sleep(LOCK_SECONDS + 0.5)  # the dead worker's organisation lock runs out


def add_clients(count, prefix):
    for number in range(count):
        services.create_client({"name": f"{prefix} {number:04d}"})
    db.session.commit()


def check_exactly_once(in_xero, count, report, point):
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), all_clients()[-count:])
    report(f"SIGKILL {point}", "kill -9 of the worker", 2, count, duplicates, lost)
    assert (duplicates, lost) == (0, 0)


def test_killed_mid_page_of_the_pull(integrate, sandbox, sync_process, in_xero, report):
    integrate(first_sync=False)
    sandbox.seed(contacts=2500, customers=2000)
    process = sync_process()
    wait_until(lambda: calls(sandbox, "GET /api.xro/2.0/Contacts") >= 1)
    sandbox.set_faults([{"endpoint": "GET /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 3}])
    wait_until(lambda: calls(sandbox, "GET /api.xro/2.0/Contacts") >= 2)
    kill_hard(process)
    sandbox.set_faults()
    runs = sync_until_settled()
    total = len(in_xero.contacts_all())
    pulled = db.session.scalar(select(func.count()).select_from(XeroContact))
    report("SIGKILL mid-page of the contact pull", "kill -9 of the worker", runs + 1, total, 0, total - pulled)
    assert pulled == total


def test_killed_mid_batch_while_xero_is_still_working(integrate, sandbox, sync_process, in_xero, report):
    integrate()
    add_clients(120, "Mid Batch")
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 3}])
    process = sync_process()
    wait_until(lambda: calls(sandbox, "PUT /api.xro/2.0/Contacts") >= 1)
    kill_hard(process)  # the request is still held inside Xero and will be committed there
    sandbox.set_faults()
    sync_until_settled()
    time.sleep(3.5)  # let the orphaned request finish inside the sandbox
    sync_until_settled()
    check_exactly_once(in_xero, 120, report, "mid-batch (Xero still processing the write)")


def test_killed_between_the_xero_write_and_the_local_commit(integrate, sandbox, sync_process, in_xero, report):
    integrate()
    add_clients(40, "After Write")
    before = len(in_xero.contacts_all())
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 2}])
    process = sync_process()
    wait_until(lambda: calls(sandbox, "PUT /api.xro/2.0/Contacts") >= 1)
    with db.engine.connect() as blocker:  # the worker cannot record the answer while we hold this
        if db.engine.dialect.name == "postgresql":
            blocker.execute(text("BEGIN"))
            blocker.execute(text("LOCK TABLE xero_outbox IN ACCESS EXCLUSIVE MODE"))
        else:
            blocker.execute(text("UPDATE xero_outbox SET id = id"))  # takes SQLite's write lock
        wait_until(lambda: len(in_xero.contacts_all()) == before + 40)  # Xero has written them
        time.sleep(0.3)
        kill_hard(process)
        blocker.rollback()
    sandbox.set_faults()
    sync_until_settled()
    assert db.session.scalar(select(func.count()).select_from(ContactLink)) >= 40
    check_exactly_once(in_xero, 40, report, "between the Xero write and the local commit")


def test_killed_during_a_token_refresh(integrate, sandbox, sync_process, in_xero, report):
    integrate()
    add_clients(5, "Refresh")
    sandbox.advance_clock(31 * 60)  # the access token has expired in Xero
    sandbox.set_faults([{"endpoint": "POST /connect/token", "timeout": 1.0, "timeout_seconds": 2}])
    process = sync_process()
    wait_until(lambda: calls(sandbox, "POST /connect/token") >= 2)  # one at integration, this one now
    kill_hard(process)
    sandbox.set_faults()
    time.sleep(2.5)  # Xero completes the refresh it was given: the old refresh token is now used
    sync_until_settled()
    check_exactly_once(in_xero, 5, report, "during a token refresh")


def test_killed_while_sending_updates_of_linked_clients(integrate, sandbox, sync_process, in_xero, report, admin):
    integrate()
    add_clients(30, "Linked")
    sync_until_settled()
    for client in all_clients()[-30:]:
        services.update_client(client, {"email": f"{client.reference.lower()}@updated.example"})
    db.session.commit()
    sandbox.set_faults([{"endpoint": "POST /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 3}])
    process = sync_process()
    wait_until(lambda: calls(sandbox, "POST /api.xro/2.0/Contacts") >= 1)
    kill_hard(process)
    sandbox.set_faults()
    sync_until_settled()
    contacts = {c.get("ContactNumber"): c for c in in_xero.contacts_all()}
    stale = [c.reference for c in all_clients()[-30:] if contacts[c.reference]["EmailAddress"] != c.email]
    check_exactly_once(in_xero, 30, report, "while sending updates of linked clients")
    assert stale == []
