"""Fixtures for the reliability suite: the Xero fixtures, a sync-until-done helper and the report.

The suite writes what this run counted (fault kinds, runs, records, duplicates, losses), each row
with its test's outcome, to tests/reliability/report.md (git-ignored); ``make report`` copies it
into README.md. The suite itself never writes a tracked file.
"""
import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.models import Client
from plugins.xero.jobs import sync_organisation
from plugins.xero.models import ContactLink, InvoiceLink, OutboxEntry, SyncRun
from tests.xero.conftest import (  # noqa: F401  (fixtures shared with the Xero tests)
    app_config, in_xero, integrate, queues, sandbox, sandbox_server, sandbox_variant, sync_now, xero_user,
)
from tests.xero.variants import parametrize_variants

from .report import REPORT, render

ROWS = []  # (test item, row) in the order the tests counted them
FAILED = {}  # test items that failed in any phase, by node id


def pytest_generate_tests(metafunc):
    parametrize_variants(metafunc)


@pytest.fixture
def report(request):
    """Add a row to the reliability report: ``report(scenario, faults, runs, records, duplicates, lost)``."""

    def add(scenario, faults, runs, records, duplicates, lost):
        ROWS.append((request.node, (scenario, faults, runs, records, duplicates, lost)))

    return add


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember whether each phase of a test failed, for the report's Result column."""
    outcome = yield
    if outcome.get_result().failed:
        FAILED[item.nodeid] = item


def pytest_sessionfinish(session):
    if not ROWS and not FAILED:
        return  # no reliability test ran: the last run's report stays, with its own date and commit
    rows = [(*row, "FAILED" if item.nodeid in FAILED else "passed") for item, row in ROWS]
    counted = {item.nodeid for item, _row in ROWS}
    uncounted = [item.name for nodeid, item in FAILED.items() if nodeid not in counted]
    setup = ("PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite") + (
        " + Redis server" if os.environ.get("REDIS_URL") else " + embedded Redis")
    REPORT.write_text(render(rows, setup, uncounted))


@pytest.fixture
def worker(app, sandbox):
    """A sync worker process to start and SIGKILL (see worker.py); killed after the test if still running."""
    from .worker import Worker

    started = Worker(app, sandbox)
    yield started
    if started.process is not None:
        started.stop()


def sync_until_settled(max_runs=15):
    """Run syncs (as a worker would) until nothing waits for Xero; return how many ran."""
    for runs in range(1, max_runs + 1):
        db.session.commit()
        sync_organisation(trigger="test")
        db.session.expire_all()
        waiting = db.session.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.state == "pending"))
        if not waiting:
            return runs
    return max_runs


def last_run_id():
    """The newest sync run's id (0 before any), to count the runs that come after it."""
    db.session.expire_all()
    newest = db.session.scalar(select(func.max(SyncRun.id))) or 0
    db.session.commit()  # a read opens a transaction that on SQLite holds the write lock: end it
    return newest


def runs_after(run_id):
    """How many sync runs started after ``run_id``, a killed worker's run included."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(SyncRun).where(
        SyncRun.id > run_id, SyncRun.started_at.is_not(None)))


def exactly_once(held_by_xero, number_field, id_field, expected):
    """Count, on Xero's side, duplicates and losses of records we sent.

    ``held_by_xero`` are the records Xero holds; ``expected`` maps each reference we sent (our
    number, in ``number_field``) to the Xero id our link holds (None when unlinked). A record
    is lost when Xero has nothing with its reference, or our link points at no record there.
    """
    by_number = Counter(record.get(number_field) for record in held_by_xero)
    ids = {record[id_field] for record in held_by_xero}
    duplicates = sum(by_number[number] - 1 for number in expected if by_number[number] > 1)
    lost = sum(1 for number, linked in expected.items() if not by_number[number] or linked not in ids)
    return duplicates, lost


def duplicates_and_losses(contacts, clients):
    """Count clients present more than once in Xero (by contact number), and missing there or unlinked."""
    linked = dict(db.session.execute(select(ContactLink.client_id, ContactLink.contact_id).where(
        ContactLink.archived_at.is_(None))).all())
    return exactly_once(contacts, "ContactNumber", "ContactID",
                        {client.reference: linked.get(client.id) for client in clients})


def invoice_duplicates_and_losses(invoices_in_xero, practice_numbers):
    """Count practice invoices present more than once in Xero, and missing there or unlinked.

    ``practice_numbers`` maps invoice ids to the numbers they were raised with, which Xero holds
    as the Reference (the practice invoice takes Xero's number once it is there).
    """
    linked = dict(db.session.execute(select(InvoiceLink.invoice_id, InvoiceLink.xero_invoice_id)).all())
    return exactly_once(invoices_in_xero, "Reference", "InvoiceID",
                        {number: linked.get(invoice_id) for invoice_id, number in practice_numbers.items()})


def invoices_waiting_for_xero(integration, admin, in_xero, count):
    """Integrated (``integration`` is the ``integrate`` fixture), Riverside Yoga Studio linked, invoice sync on,
    and ``count`` new invoices of it waiting to go to Xero.

    :return: the invoices' ids mapped to the numbers they were raised with.
    """
    from tests.xero.test_invoice_sync import contact_id_of, enable_invoice_sync

    integration()
    admin.post(f"/tools/integrations/xero/contacts/{contact_id_of('Riverside Yoga Studio')}/create")
    assert enable_invoice_sync(admin, in_xero).status_code == 302
    client = db.session.scalar(select(Client).where(Client.name == "Riverside Yoga Studio"))
    invoices = [services.create_invoice(client, {"lines": [{"description": f"Work {number}", "quantity": "1",
                                                            "unit_price": f"{100 + number}.00", "tax_rate": "20"}]})
                for number in range(count)]
    db.session.commit()
    return {invoice.id: invoice.number for invoice in invoices}


def invoices_in_xero(in_xero):
    """Every invoice Xero holds, reading all pages."""
    found, page = [], 1
    while True:
        batch = in_xero.call("GET", "Invoices", params={"page": page, "pageSize": 1000})["Invoices"]
        found += batch
        if len(batch) < 1000:
            return found
        page += 1


def all_clients():
    return db.session.scalars(select(Client).order_by(Client.id)).all()
