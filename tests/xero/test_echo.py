"""No echo of a sync's own writes (issue 15, goal 1): after a sync that wrote more than a page of
records to Xero, the next sync reads one page of contacts and one of invoices, and an edit made
in Xero while the sync ran is still pulled by the next one.

The sandbox cuts pages at 100 here (its ``page_size_cap`` variant), so 130 writes are more than a
page, as 10,000 are with Xero's 1000. Its clock moves a minute before each sync and two seconds
after each batch written, as time would between syncs and over the minutes 10,000 writes take
(the next pull reads again the second before its watermark, which would otherwise hold every
write). With ``fast_xero`` the clock does not move while the sync writes, as when Xero answers
more than a page of writes in a second or two: the next pull then asks once whether anything
changed at all.
"""
from datetime import date

import pytest
from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import Client
from plugins.xero.models import ContactLink, InvoiceLink, XeroConnection
from plugins.xero.oauth import client_for
from plugins.xero.sync import batches, changes, contacts, engine, invoices

from .support import client_named
from .test_invoice_sync import LINE, enable_invoice_sync  # noqa: F401

PAGE, WRITES = 100, 130


@pytest.fixture
def small_pages(sandbox, monkeypatch):
    sandbox.set_variants(page_size_cap=str(PAGE))
    send = batches.send

    def send_taking_time(*args, **kwargs):
        send(*args, **kwargs)
        sandbox.advance_clock(2)

    monkeypatch.setattr(batches, "send", send_taking_time)


@pytest.fixture
def fast_xero(sandbox, monkeypatch):
    """Pages of 100, which the pull expects before it has read one (as it expects Xero's 1000)."""
    sandbox.set_variants(page_size_cap=str(PAGE))
    monkeypatch.setattr(changes, "PAGE_SIZE", PAGE)


def sync(app, sandbox):
    sandbox.advance_clock(60)
    connection = db.session.scalar(select(XeroConnection))
    run = engine.run_sync(client_for(connection), connection.id, redis_connection(app))
    assert run.state == "finished", run.message
    db.session.expire_all()
    return run


def reads(sandbox, endpoint):
    return sandbox.stats()["calls"].get(f"GET /api.xro/2.0/{endpoint}", 0)


def add_clients(count):
    services.import_clients([{"name": f"Echo Test Client {number:03d}"} for number in range(count)])
    db.session.commit()


def test_after_writing_more_than_a_page_of_contacts_the_next_sync_reads_one_page(integrated, small_pages, app, sandbox):
    add_clients(WRITES)
    assert sync(app, sandbox).counts["contacts_created"] == WRITES
    sandbox.reset_stats()
    run = sync(app, sandbox)
    assert (reads(sandbox, "Contacts"), reads(sandbox, "Invoices")) == (1, 1)
    assert run.counts.get("contacts_pulled", 0) == 0


def test_an_echo_written_in_a_second_or_two_costs_one_read_and_hides_no_later_edit(
        integrated, fast_xero, app, sandbox, in_xero):
    add_clients(WRITES)
    assert sync(app, sandbox).counts["contacts_created"] == WRITES
    for edit in (None, "edited.after.the.echo@example.com"):
        if edit:
            contact_id = db.session.scalars(select(ContactLink.contact_id).order_by(ContactLink.id)).first()
            in_xero.update_contact(contact_id, EmailAddress=edit)
        sandbox.reset_stats()
        run = sync(app, sandbox)
        assert (reads(sandbox, "Contacts"), run.counts.get("contacts_pulled", 0)) == (1, 1 if edit else 0)
    assert client_named("Echo Test Client 000").email == edit


def edit_right_after(monkeypatch, module, name, edit):
    """Make ``edit()`` happen in Xero when the sync's ``module.name`` first returns; return a list
    that then holds what ``edit()`` returned."""
    original, done = getattr(module, name), []

    def then_edit(*args, **kwargs):
        result = original(*args, **kwargs)
        if not done:
            done.append(edit())
        return result

    monkeypatch.setattr(module, name, then_edit)
    return done


@pytest.mark.parametrize("when", ["pull", "first batch", "writes"])
def test_an_edit_in_xero_during_the_sync_is_pulled_by_the_next(
        integrated, small_pages, app, sandbox, admin, in_xero, monkeypatch, when):
    """Edited after the pull (a linked contact the sync did not write), after the first batch of
    creations (a contact the sync had just created), or after all the writes."""
    admin.post(f"/tools/integrations/xero/contacts/{in_xero.contact_named('Riverside Yoga Studio')['ContactID']}/create")
    add_clients(WRITES)
    email = f"edited.during.sync.{when.replace(' ', '.')}@example.com"

    def edit():
        newest_first = ContactLink.id.desc() if when == "first batch" else ContactLink.id
        link = db.session.scalars(select(ContactLink).order_by(newest_first)).first()
        in_xero.update_contact(link.contact_id, EmailAddress=email)
        return link.client_id

    module, name = {"pull": (contacts, "pull_contacts"), "first batch": (batches, "send"),
                    "writes": (contacts, "push_new_clients")}[when]
    edited = edit_right_after(monkeypatch, module, name, edit)
    assert sync(app, sandbox).counts["contacts_created"] == WRITES
    assert db.session.get(Client, edited[0]).email != email
    sync(app, sandbox)
    assert db.session.get(Client, edited[0]).email == email


@pytest.fixture
def invoicing(integrate, admin, in_xero):
    integrate()
    admin.post(f"/tools/integrations/xero/contacts/{in_xero.contact_named('Riverside Yoga Studio')['ContactID']}/create")
    assert enable_invoice_sync(admin, in_xero).status_code == 302
    return client_named("Riverside Yoga Studio")


def raise_invoices(client, count):
    for _ in range(count):
        services.create_invoice(client, {"date": date(2026, 11, 20), "reference": "",
                                         "lines": [{**LINE, "quantity": "1"}]})
    db.session.commit()


@pytest.mark.parametrize("edited", [False, True])
def test_after_writing_more_than_a_page_of_invoices_the_next_sync_reads_one_page(
        invoicing, small_pages, app, sandbox, in_xero, monkeypatch, edited):
    raise_invoices(invoicing, WRITES)
    if edited:  # someone raises an invoice for the client in Xero while the sync sends ours
        contact_id = db.session.scalar(select(ContactLink.contact_id).where(ContactLink.client_id == invoicing.id))
        edit_right_after(monkeypatch, invoices, "push_invoices", lambda: in_xero.raise_invoice(contact_id))
    assert sync(app, sandbox).counts["invoices_created"] == WRITES
    sandbox.reset_stats()
    run = sync(app, sandbox)
    assert run.counts.get("invoices_imported", 0) == (1 if edited else 0)
    assert reads(sandbox, "Invoices") == (2 if edited else 1)  # the echo is read again when it may hide an edit
    assert db.session.query(InvoiceLink).count() == WRITES + (1 if edited else 0)


def test_an_invoice_echo_written_in_a_second_or_two_costs_one_read(invoicing, fast_xero, app, sandbox):
    raise_invoices(invoicing, WRITES)
    assert sync(app, sandbox).counts["invoices_created"] == WRITES
    sandbox.reset_stats()
    run = sync(app, sandbox)
    assert (reads(sandbox, "Invoices"), run.counts.get("invoices_pulled", 0)) == (1, 0)
