"""Nothing lost, nothing doubled: new clients reach Xero exactly once while Xero misbehaves."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bm import services
from bm.extensions import db
from bm.models import utcnow
from plugins.xero.models import SyncRun, WriteBatch

from .conftest import (all_clients, duplicates_and_losses, invoice_duplicates_and_losses, invoices_in_xero,
                       invoices_waiting_for_xero, sync_until_settled)

WRITE_ENDPOINTS = ("PUT /api.xro/2.0/Contacts", "POST /api.xro/2.0/Contacts")
KINDS = ("error_500", "error_503", "timeout", "reset", "commit_then_500")


@pytest.fixture
def app_config(app_config):
    # Timeouts cost real seconds: a short client timeout, and a sandbox that holds longer.
    return {**app_config, "XERO_HTTP_TIMEOUT": 1.5}


def add_clients(count, prefix):
    for number in range(count):
        services.create_client({"name": f"{prefix} Client {number:04d}", "email": f"c{number}@{prefix.lower()}.example"})
    db.session.commit()


def fault_rules(rate):
    share = rate / len(KINDS)
    return [{"endpoint": endpoint, "timeout_seconds": 2, **{kind: share for kind in KINDS}}
            for endpoint in WRITE_ENDPOINTS]


@pytest.mark.reliability
def test_500_new_clients_reach_xero_exactly_once_under_10_percent_faults(integrate, sandbox, in_xero, report):
    integrate()
    add_clients(500, "Faulty")
    sandbox.set_faults(fault_rules(0.10), seed=7)
    runs = sync_until_settled()
    injected = sandbox.stats().get("faults_injected", {})
    sandbox.set_faults()
    clients = all_clients()[-500:]
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
    report("500 new clients, 10% faults on contact writes",
           ", ".join(f"{kind} {count}" for kind, count in sorted(injected.items()) if count) or "none",
           runs, len(clients), duplicates, lost)
    assert sum(injected.values()) > 0
    assert (duplicates, lost) == (0, 0)


@pytest.mark.reliability
def test_a_batch_whose_key_xero_forgot_is_recovered_by_contact_number(integrate, sandbox, in_xero, report):
    integrate()
    add_clients(60, "Forgotten")
    # Every try is held past the client's timeout, then committed by Xero: no answer arrives.
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 2}], seed=1)
    runs = sync_until_settled(max_runs=1)
    assert db.session.scalar(select(func.count()).select_from(WriteBatch).where(WriteBatch.state == "sending")) == 1
    sandbox.set_faults()
    sandbox.wait_for_calls_in_flight(0)  # the last held request finishes inside Xero
    sandbox.advance_clock(3600)  # far past Xero's idempotency window: a resend would create again
    runs += sync_until_settled()
    clients = all_clients()[-60:]
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
    recovered = db.session.scalar(select(SyncRun.counts).order_by(SyncRun.id.desc())).get("contacts_recovered", 0)
    report("60 new clients, every answer to a create lost, key expired before the next run",
           "timeout (all tries of one batch)", runs, len(clients), duplicates, lost)
    assert recovered == 50
    assert (duplicates, lost) == (0, 0)


@pytest.mark.reliability
def test_an_old_batch_that_never_reached_xero_is_sent_again(integrate, sandbox, in_xero, report):
    integrate()
    add_clients(10, "Unsent")
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "reset": 1.0}], seed=1)
    runs = sync_until_settled(max_runs=1)  # every try dropped before Xero did anything
    sandbox.set_faults()
    db.session.execute(update(WriteBatch).values(first_sent_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    runs += sync_until_settled()
    clients = all_clients()[-10:]
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
    report("10 new clients, every try reset, retried hours later", "reset (all tries)", runs, len(clients),
           duplicates, lost)
    assert (duplicates, lost) == (0, 0)


@pytest.mark.reliability
def test_500_new_invoices_reach_xero_exactly_once_under_10_percent_faults(integrate, admin, sandbox, in_xero, report):
    numbers = invoices_waiting_for_xero(integrate, admin, in_xero, 500)
    rules = [{"endpoint": endpoint, "timeout_seconds": 2, **{kind: 0.10 / len(KINDS) for kind in KINDS}}
             for endpoint in ("PUT /api.xro/2.0/Invoices", "POST /api.xro/2.0/Invoices")]
    sandbox.set_faults(rules, seed=7)
    runs = sync_until_settled()
    injected = sandbox.stats().get("faults_injected", {})
    sandbox.set_faults()
    duplicates, lost = invoice_duplicates_and_losses(invoices_in_xero(in_xero), numbers)
    report("500 new invoices, 10% faults on invoice writes",
           ", ".join(f"{kind} {count}" for kind, count in sorted(injected.items()) if count) or "none",
           runs, len(numbers), duplicates, lost)
    assert sum(injected.values()) > 0
    assert (duplicates, lost) == (0, 0)
