"""Crash safety: a worker killed with SIGKILL at five points of a sync loses and doubles nothing."""
import pytest
from sqlalchemy import func, select, text

from bm import services
from bm.extensions import db
from plugins.xero.models import ContactLink, XeroContact

from .conftest import all_clients, duplicates_and_losses, sync_until_settled
from .worker import wait_until

pytestmark = pytest.mark.reliability
LOCK_SECONDS = 2


@pytest.fixture
def app_config(app_config):
    return {**app_config, "XERO_SYNC_LOCK_SECONDS": LOCK_SECONDS}


def add_clients(count, prefix):
    for number in range(count):
        services.create_client({"name": f"{prefix} {number:04d}"})
    db.session.commit()


def check_exactly_once(in_xero, count, report, point, worker, changes_lost=0):
    clients = all_clients()[-count:]
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
    report(f"SIGKILL {point}", "kill -9 of the worker", worker.runs(), len(clients), duplicates,
           lost + changes_lost)
    assert (duplicates, lost, changes_lost) == (0, 0, 0)


def test_killed_mid_page_of_the_pull(integrate, sandbox, worker, in_xero, report):
    integrate(first_sync=False)
    sandbox.seed(contacts=2500, customers=2000)
    before = {contact["ContactID"] for contact in in_xero.contacts_all()}
    worker.start()
    worker.reaches("GET /api.xro/2.0/Contacts")
    sandbox.set_faults([{"endpoint": "GET /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 3}])
    worker.reaches("GET /api.xro/2.0/Contacts", calls=2)
    worker.kill()
    assert 0 < worker.killed_run().counts["contacts_pulled"] < len(before)  # a page in, another on its way
    sandbox.set_faults()
    sync_until_settled()
    after = {contact["ContactID"] for contact in in_xero.contacts_all()}
    pulled = set(db.session.scalars(select(XeroContact.contact_id)))
    added, missing = len(after - before), len(after - pulled)  # a pull only reads: whatever Xero gained is extra
    report("SIGKILL mid-page of the contact pull", "kill -9 of the worker", worker.runs(), len(after),
           added, missing)
    assert (added, missing) == (0, 0)


def test_killed_mid_batch_while_xero_is_still_working(integrate, sandbox, worker, in_xero, report):
    integrate()
    add_clients(120, "Mid Batch")
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 3}])
    worker.start()
    worker.reaches("PUT /api.xro/2.0/Contacts")
    worker.kill()  # the request is still held inside Xero and will be committed there
    worker.killed_run()
    sandbox.set_faults()
    sync_until_settled()
    sandbox.wait_for_calls_in_flight(0)  # the orphaned request finishes inside Xero
    sync_until_settled()
    check_exactly_once(in_xero, 120, report, "mid-batch (Xero still processing the write)", worker)


def test_killed_between_the_xero_write_and_the_local_commit(integrate, sandbox, worker, in_xero, report):
    integrate()
    add_clients(40, "After Write")
    before = len(in_xero.contacts_all())
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 2}])
    worker.start()
    worker.reaches("PUT /api.xro/2.0/Contacts")
    with db.engine.connect() as blocker:  # the worker cannot record the answer while we hold this
        if db.engine.dialect.name == "postgresql":
            blocker.execute(text("BEGIN"))
            blocker.execute(text("LOCK TABLE xero_outbox IN ACCESS EXCLUSIVE MODE"))
        else:
            blocker.execute(text("UPDATE xero_outbox SET id = id"))  # takes SQLite's write lock
        wait_until(lambda: len(in_xero.contacts_all()) == before + 40)  # Xero has written them
        sandbox.wait_for_calls_in_flight(0)  # and its answer has left Xero
        worker.kill()
        blocker.rollback()
    worker.killed_run()
    sandbox.set_faults()
    sync_until_settled()
    assert db.session.scalar(select(func.count()).select_from(ContactLink)) >= 40
    check_exactly_once(in_xero, 40, report, "between the Xero write and the local commit", worker)


def test_killed_during_a_token_refresh(integrate, sandbox, worker, in_xero, report):
    integrate()
    add_clients(5, "Refresh")
    sandbox.advance_clock(31 * 60)  # the access token has expired in Xero
    sandbox.set_faults([{"endpoint": "POST /connect/token", "timeout": 1.0, "timeout_seconds": 2}])
    worker.start()
    worker.reaches("POST /connect/token")
    worker.kill()
    worker.killed_run()
    sandbox.set_faults()
    sandbox.wait_for_calls_in_flight(0)  # Xero completes the refresh it was given: the old refresh token is now used
    sync_until_settled()
    check_exactly_once(in_xero, 5, report, "during a token refresh", worker)


def test_killed_while_sending_updates_of_linked_clients(integrate, sandbox, worker, in_xero, report, admin):
    integrate()
    add_clients(30, "Linked")
    sync_until_settled()
    for client in all_clients()[-30:]:
        services.update_client(client, {"email": f"{client.reference.lower()}@updated.example"})
    db.session.commit()
    sandbox.set_faults([{"endpoint": "POST /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 3}])
    worker.start()
    worker.reaches("POST /api.xro/2.0/Contacts")
    worker.kill()
    worker.killed_run()
    sandbox.set_faults()
    sync_until_settled()
    contacts = {c.get("ContactNumber"): c for c in in_xero.contacts_all()}
    stale = [c.reference for c in all_clients()[-30:] if contacts.get(c.reference, {}).get("EmailAddress") != c.email]
    check_exactly_once(in_xero, 30, report, "while sending updates of linked clients", worker, len(stale))
