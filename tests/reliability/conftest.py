"""Fixtures for the reliability suite: the Xero fixtures, a sync-until-done helper and the report.

The suite writes what this run counted (fault kinds, runs, records, duplicates, losses), each row
with its test's outcome, to tests/reliability/report.md (git-ignored); ``make report`` copies it
into README.md. The suite itself never writes a tracked file.
"""
import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from bm.extensions import db
from bm.models import Client
from plugins.xero.jobs import sync_organisation
from plugins.xero.models import ContactLink, OutboxEntry
from tests.xero.conftest import (  # noqa: F401  (fixtures shared with the Xero tests)
    app_config, in_xero, integrate, queues, sandbox, sandbox_server, sync_now, xero_user,
)

from .report import REPORT, render

ROWS = []  # (test item, row) in the order the tests counted them
FAILED = {}  # test items that failed in any phase, by node id


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


def duplicates_and_losses(contacts, clients):
    """Count references present more than once in Xero, and clients missing there or unlinked."""
    by_number = Counter(c.get("ContactNumber") for c in contacts if c.get("ContactNumber"))
    duplicates = sum(count - 1 for number, count in by_number.items() if count > 1)
    linked = dict(db.session.execute(select(ContactLink.client_id, ContactLink.contact_id).where(
        ContactLink.archived_at.is_(None))).all())
    ids = {c["ContactID"] for c in contacts}
    lost = sum(1 for client in clients if by_number.get(client.reference, 0) == 0
               or linked.get(client.id) not in ids)
    return duplicates, lost


def all_clients():
    return db.session.scalars(select(Client).order_by(Client.id)).all()
