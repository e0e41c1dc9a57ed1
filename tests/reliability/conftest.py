"""Fixtures for the reliability suite: the Xero fixtures, a sync-until-done helper and the report.

The suite writes what it measured (fault kinds, runs, records, duplicates, losses) to
tests/reliability/report.md and into README.md between the reliability-report markers.
"""
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bm.extensions import db
from bm.models import Client
from plugins.xero.jobs import sync_organisation
from plugins.xero.models import ContactLink, OutboxEntry
from tests.xero.conftest import (  # noqa: F401  (fixtures shared with the Xero tests)
    app_config, in_xero, integrate, queues, sandbox, sandbox_server, sync_now, xero_user,
)

ROOT = Path(__file__).resolve().parents[2]
REPORT = Path(__file__).with_name("report.md")
START, END = "<!-- reliability-report:start -->", "<!-- reliability-report:end -->"
ROWS = []


@pytest.fixture
def report():
    """Add a row to the reliability report: ``report(scenario, faults, runs, records, duplicates, lost)``."""

    def add(scenario, faults, runs, records, duplicates, lost):
        ROWS.append((scenario, faults, runs, records, duplicates, lost))

    return add


def pytest_sessionfinish(session):
    if not ROWS:
        return
    readme = ROOT / "README.md"
    text = readme.read_text() if readme.exists() else ""
    rows = dict(_rows_in(text))  # scenarios this run did not cover keep their last figures
    rows.update({row[0]: row for row in ROWS})
    lines = ["| Scenario | Faults injected | Sync runs | Records | Duplicates found | Records lost |",
             "|---|---|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows.values()]
    table = "\n".join(lines) + "\n"
    REPORT.write_text(table)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        readme.write_text(f"{head}{START}\n{table}{END}{rest.split(END, 1)[1]}")


def _rows_in(text):
    if START not in text or END not in text:
        return []
    body = text.split(START, 1)[1].split(END, 1)[0]
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in body.splitlines()
             if line.startswith("|") and not line.startswith("|---")]
    return [(row[0], tuple(row)) for row in cells[1:] if len(row) == 6]


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
