"""The first sync's progress counts records as it goes (issue 15, goal 4), and every run names
its steps in order with a bar that never goes back.

What the Xero page's progress bar would show is read, before each call to Xero, from the
database on a connection of its own, as the page's polling reads it: only what the sync has
committed. The steps a run names are recorded as it names them.
"""
from datetime import date

import pytest
from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.jobs import redis_connection
from plugins.xero.api import XeroClient
from plugins.xero.oauth import client_for
from plugins.xero.sync import engine

from .support import client_named
from .test_invoice_sync import LINE, invoicing, riverside, integrated_no_clients  # noqa: F401
from .test_recovery import XERO, linked  # noqa: F401

PAGE, CONTACTS, CUSTOMERS, CLIENTS = 100, 250, 200, 120


@pytest.fixture
def polled(monkeypatch):
    """``[(phase, progress)]`` of the latest run as a poll saw it before each call to Xero."""
    seen = []
    send = XeroClient._send

    def polling_send(self, *args, **kwargs):
        poll = db.engine.raw_connection()  # not a session: SQLite's sessions begin by taking the write lock
        try:
            cursor = poll.cursor()
            cursor.execute("SELECT phase, progress FROM xero_sync_runs ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
        finally:
            poll.close()
        if row and (not seen or seen[-1] != tuple(row)):
            seen.append(tuple(row))
        return send(self, *args, **kwargs)

    monkeypatch.setattr(XeroClient, "_send", polling_send)
    return seen


def test_the_first_sync_shows_contacts_read_and_clients_sent_as_it_goes(integrate, sandbox, in_xero, app, polled):
    sandbox.seed(contacts=CONTACTS, customers=CUSTOMERS)
    sandbox.set_variants(page_size_cap=str(PAGE))
    in_xero_total = len(in_xero.contacts_all())
    connection = integrate(first_sync=False)
    services.import_clients([{"name": f"Progress Test Client {number:03d}"} for number in range(CLIENTS)])
    db.session.commit()  # new clients after integrating: the first sync adds them to Xero
    run = engine.run_sync(client_for(connection), connection.id, redis_connection(app))
    assert run.state == "finished", run.message

    read = [f"{done:,} of {in_xero_total:,} contacts read from Xero" for done in range(PAGE, in_xero_total, PAGE)]
    sent = [f"{done:,} of {CLIENTS:,} clients sent to Xero" for done in range(50, CLIENTS, 50)]
    counted = [(phase, progress) for phase, progress in polled if phase in read + sent]
    assert [phase for phase, _progress in counted] == read + sent
    bar = [progress for _phase, progress in polled]
    assert bar == sorted(bar)  # the bar never goes back
    steps = [progress for _phase, progress in counted]
    assert steps == sorted(set(steps))  # and moves with each page read and each batch sent


@pytest.fixture
def steps(monkeypatch):
    """``[(step, progress)]`` as each run names them (``RunRecorder.phase``)."""
    named = []
    phase = engine.RunRecorder.phase

    def naming(self, name, progress):
        named.append((name, progress))
        return phase(self, name, progress)

    monkeypatch.setattr(engine.RunRecorder, "phase", naming)
    return named


def test_a_sync_with_invoices_names_each_step_in_order(invoicing, sync_now, steps):
    services.create_invoice(invoicing, {"date": date(2026, 11, 20), "reference": "", "lines": [LINE]})
    db.session.commit()
    sync_now()
    assert steps == [("Fetching contacts from Xero", 10), ("Updating linked clients", 45),
                     ("Creating new clients in Xero", 50), ("Fetching invoices from Xero", 80),
                     ("Sending invoices to Xero", 85), ("Sending payments to Xero", 88),
                     ("Matching Xero customers with clients", 90)]


def test_a_recovery_bar_moves_forward_as_links_are_checked(linked, admin, integrate, queues, steps):
    admin.post(f"{XERO}/disconnect", {"confirm": "Demo Company (UK)"})
    integrate(first_sync=False)
    queues()  # the syncs the links' merges queued
    steps.clear()
    admin.post(f"{XERO}/links/recover")
    queues()
    assert steps == [("Checking links against Xero", 90), ("Matching Xero customers with clients", 90)]
    assert client_named("Northwind Traders") is not None
