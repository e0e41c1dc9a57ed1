"""Recoverable disconnect: links come back after reintegrating, checked against Xero, or by contact code."""
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select

from bm import services
from bm.extensions import db
from plugins.xero.models import ContactLink, SyncRun, XeroContact

from .support import client_named

XERO = "/tools/integrations/xero"


def live_links():
    db.session.expire_all()
    return {link.client.name: link.contact_id for link in db.session.scalars(
        select(ContactLink).where(ContactLink.archived_at.is_(None)))}


@pytest.fixture
def linked(integrated, admin):
    for contact_name, client_name in (("Patel and Sons Ltd", "Patel & Sons Limited"),
                                      ("Northwind Traders", "Northwind Traders LLP"),
                                      ("Jane Whitfeld", "Jane Whitfield")):
        contact = db.session.scalar(select(XeroContact).where(XeroContact.name == contact_name))
        admin.post(f"{XERO}/contacts/{contact.contact_id}/merge", {"client_id": client_named(client_name).id,
                                                                   "use": "xero"})
    return live_links()


def test_reintegrating_offers_the_earlier_links_and_restores_those_still_in_xero(
        linked, admin, integrate, in_xero, queues):
    assert len(linked) == 3
    admin.post(f"{XERO}/disconnect", {"confirm": "Demo Company (UK)"})
    assert live_links() == {}
    in_xero.update_contact(linked["Jane Whitfeld"], ContactStatus="ARCHIVED")  # gone while disconnected
    in_xero.update_contact(linked["Patel and Sons Ltd"], EmailAddress="accounts@patelandsons.co.uk")

    integrate(first_sync=False)
    other_organisation = ContactLink(client_id=client_named("Patel and Sons Ltd").id, tenant_id="another-organisation",
                                     contact_id="c0ffee00-0000-4000-8000-000000000001", snapshot={},
                                     archived_at=datetime(2026, 1, 1))
    db.session.add(other_organisation)
    db.session.commit()
    offer = admin.get(f"{XERO}/links/recover").get_data(as_text=True)
    assert "<strong>3</strong> clients" in offer and "Check and restore 3 links" in offer
    admin.post(f"{XERO}/links/recover")
    queues()

    restored = live_links()
    assert restored == {"Patel and Sons Ltd": linked["Patel and Sons Ltd"], "Northwind Traders": linked["Northwind Traders"]}
    run = db.session.scalar(select(SyncRun).where(SyncRun.trigger == "recovery"))
    assert run.state == "finished" and "2 links restored" in run.message
    assert any("Jane Whitfeld: not restored, its Xero contact is archived in Xero" in e["message"] for e in run.errors)
    # Another organisation's set-aside links wait for a reintegration with that one.
    assert db.session.get(ContactLink, other_organisation.id) is not None
    admin.post(f"{XERO}/sync")
    queues()
    assert client_named("Patel and Sons Ltd").email == "accounts@patelandsons.co.uk"  # the change made meanwhile


def test_links_are_found_again_by_contact_code_after_the_practice_data_is_lost(
        app, integrate, admin, queues, in_xero):
    integrate()
    for name in ("Alpha Audit", "Beta Books", "Gamma Gifts"):
        admin.post("/clients/new", {"name": name})
    admin.post(f"{XERO}/sync")
    queues()
    before = live_links()
    assert set(before) == {"Alpha Audit", "Beta Books", "Gamma Gifts"}
    db.session.execute(delete(ContactLink))  # the practice's links are lost
    db.session.commit()
    in_xero.update_contact(before["Beta Books"], EmailAddress="newer@beta.example")
    admin.post(f"{XERO}/links/recover", {"by": "code"})
    queues()
    assert live_links() == before
    assert client_named("Beta Books").email == ""  # Xero wins on the next sync, not before it
    admin.post(f"{XERO}/sync")
    queues()
    assert client_named("Beta Books").email == "newer@beta.example"
    assert db.session.scalar(select(func.count()).select_from(ContactLink)) == 3


def xero_email(in_xero, contact_id):
    return in_xero.call("GET", f"Contacts/{contact_id}")["Contacts"][0].get("EmailAddress")


def test_a_change_made_here_while_disconnected_reaches_xero_after_the_restore(linked, admin, integrate, in_xero,
                                                                             queues):
    admin.post(f"{XERO}/disconnect", {"confirm": "Demo Company (UK)"})
    services.update_client(client_named("Patel and Sons Ltd"), {"email": "books@patel.example"})
    db.session.commit()
    integrate(first_sync=False)
    admin.post(f"{XERO}/links/recover")
    queues()
    admin.post(f"{XERO}/sync")
    queues()
    assert client_named("Patel and Sons Ltd").email == "books@patel.example"
    assert xero_email(in_xero, linked["Patel and Sons Ltd"]) == "books@patel.example"


def test_a_change_made_here_after_a_recovery_by_code_reaches_xero(app, integrate, admin, queues, in_xero):
    integrate()
    admin.post("/clients/new", {"name": "Beta Books"})
    admin.post(f"{XERO}/sync")
    queues()
    contact_id = live_links()["Beta Books"]
    db.session.execute(delete(ContactLink))  # the practice's links are lost
    db.session.commit()
    admin.post(f"{XERO}/links/recover", {"by": "code"})
    queues()
    services.update_client(client_named("Beta Books"), {"email": "accounts@beta.example"})
    db.session.commit()
    admin.post(f"{XERO}/sync")
    queues()
    assert xero_email(in_xero, contact_id) == "accounts@beta.example"
