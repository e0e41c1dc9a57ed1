"""A worker SIGKILLed mid-sync, run as in production (gunicorn, three workers, real Redis, Sync Now
clicked over HTTP): its run is marked abandoned within the lock's life, its RQ job is failed
rather than left started, and the next Sync Now leads to a finished run that doubles nothing."""
import time

import pytest
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import select

from bm import services
from bm.extensions import db
from plugins.xero import run_state
from plugins.xero.models import SyncRun, XeroSettings

from .conftest import (all_clients, duplicates_and_losses, invoice_duplicates_and_losses, invoices_in_xero,
                       invoices_waiting_for_xero, last_run_id)
from .deployment import Browser, Deployment
from .worker import wait_until

pytestmark = pytest.mark.reliability
LOCK_SECONDS = 6
HEARTBEAT_SECONDS = 6
HOLD_SECONDS = 3  # how long the sandbox holds the call the worker dies in (shorter than the lock's life)
XERO = "/tools/integrations/xero"
KILL_POINTS = {  # where the worker dies: the call it is in, and what waits for Xero before the sync
    "pulling contacts": "GET /api.xro/2.0/Contacts",
    "creating contacts": "PUT /api.xro/2.0/Contacts",
    "pushing invoices": "PUT /api.xro/2.0/Invoices",
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "XERO_SYNC_LOCK_SECONDS": LOCK_SECONDS, "BM_WORKER_HEARTBEAT_SECONDS": HEARTBEAT_SECONDS}


@pytest.fixture
def deploy(app, sandbox, tmp_path):
    """Start gunicorn and three workers (the periodic sync off, so only Sync Now runs syncs); stopped after."""
    started = []

    def start():
        db.session.scalar(select(XeroSettings)).sync_interval_minutes = 0
        db.session.commit()
        started.append(Deployment(app, sandbox, tmp_path, workers=3))
        return started[-1]

    yield start
    for deployment in started:
        deployment.stop()


def newest_run():
    """The newest run's id, state and message, read in a transaction that ends at once (on SQLite
    an open one would hold up every write of the web and the workers)."""
    run = db.session.execute(select(SyncRun.id, SyncRun.state, SyncRun.message).order_by(SyncRun.id.desc())
                             .limit(1)).one()
    db.session.commit()
    return run


def click_sync_now(browser):
    assert browser.click(f"{XERO}/", f"{XERO}/sync").status_code == 200
    return newest_run()


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_worker_killed_mid_sync_never_blocks_the_next_sync_now(point, integrate, admin, in_xero, sandbox, deploy,
                                                                 report):
    invoices = {}
    if point == "pushing invoices":
        invoices = invoices_waiting_for_xero(integrate, admin, in_xero, 20)
    else:
        integrate()
        for number in range(30 if point == "creating contacts" else 10):
            services.create_client({"name": f"Killed Worker {number:03d}"})
        db.session.commit()
    first = last_run_id()
    deployment = deploy()
    browser = Browser(deployment.url, "admin@example.com")
    endpoint = KILL_POINTS[point]
    sandbox.set_faults([{"endpoint": endpoint, "timeout": 1.0, "timeout_seconds": HOLD_SECONDS}])
    calls_before = sandbox.stats()["calls"].get(endpoint, 0)

    killed = click_sync_now(browser)
    assert killed.id > first
    wait_until(lambda: sandbox.stats()["calls"].get(endpoint, 0) > calls_before)  # the worker is held in that call
    worker = deployment.worker_running(run_state.job_id(killed.id))
    deployment.kill(worker)
    killed_at = time.monotonic()
    sandbox.set_faults()
    assert newest_run().state == "running"

    # the page tells, in words, within the lock's life; Sync Now then queues a new run
    wait_until(lambda: "stopped without finishing" in browser.get(f"{XERO}/runs/{killed.id}").text, timeout=60)
    abandoned_after = time.monotonic() - killed_at
    assert abandoned_after <= LOCK_SECONDS + 2
    assert newest_run().state == "abandoned"
    again = click_sync_now(browser)
    assert again.id > killed.id
    wait_until(lambda: newest_run().state not in run_state.ACTIVE, timeout=90)
    finished_after = time.monotonic() - killed_at
    assert newest_run().state == "finished", newest_run().message
    assert finished_after < 90

    # RQ's started registry lets the killed job go (failed, as abandoned) instead of keeping it for its timeout
    job_id = run_state.job_id(killed.id)
    wait_until(lambda: job_id in FailedJobRegistry(connection=deployment.redis).get_job_ids(), timeout=60)
    assert job_id not in StartedJobRegistry(connection=deployment.redis).get_job_ids()

    sandbox.wait_for_calls_in_flight(0)
    if invoices:
        duplicates, lost = invoice_duplicates_and_losses(invoices_in_xero(in_xero), invoices)
        records = len(invoices)
    else:
        clients = all_clients()
        duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
        records = len(clients)
    report(f"SIGKILL of the worker {point}, then Sync Now over HTTP (gunicorn, 3 workers)",
           f"kill -9; abandoned after {abandoned_after:.1f} s, next run finished {finished_after:.1f} s after the kill",
           2, records, duplicates, lost)
    assert (duplicates, lost) == (0, 0)
