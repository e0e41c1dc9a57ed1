"""A change made on both sides: the newer one wins, whichever side made it, and the conflict is logged.

Xero's side of the comparison is the contact's UpdatedDateUTC (milliseconds); the practice's is
the client's last change. On equal timestamps the practice's change wins: the practice is where
the client record is kept, and a tie gives no reason to overwrite it. A draft invoice edited on
both sides follows the same rule (Xero's UpdatedDateUTC against the invoice's last change here);
once Xero has approved it, Xero's values win whatever the times (see test_invoice_sync.py).
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from bm import services
from bm.extensions import db
from bm.models import Client, Invoice
from plugins.xero.api import xero_date
from plugins.xero.sync.contacts import naive_utc

from .support import client_named, link_of
from .test_client_sync import merge
from .test_invoice_sync import (  # noqa: F401  (fixtures: a practice invoice sent to Xero as a draft)
    integrated_no_clients, invoicing, riverside, sent,
)
from .test_invoice_sync import edit_invoice, latest_run, xero_invoice
from .test_invoice_sync import link_of as invoice_link_of

PRACTICE_EMAIL, XERO_EMAIL = "practice@northwind.example.com", "xero@northwind.example.com"


def edit_both_sides(admin, in_xero, practice_first):
    """Northwind Traders linked, its e-mail changed in both systems in the order asked; return Xero's change time."""
    merge(admin, "Northwind Traders", "Northwind Traders LLP", "xero")
    client = client_named("Northwind Traders")
    contact_id = link_of(client).contact_id
    if practice_first:
        services.update_client(client, {"email": PRACTICE_EMAIL})
        db.session.commit()
    changed = in_xero.update_contact(contact_id, EmailAddress=XERO_EMAIL)
    if not practice_first:
        services.update_client(client, {"email": PRACTICE_EMAIL})
        db.session.commit()
    return contact_id, naive_utc(xero_date(changed["UpdatedDateUTC"]))


def practice_changed_at(moment):
    db.session.execute(update(Client).where(Client.name == "Northwind Traders").values(updated_at=moment))
    db.session.commit()


def both_sides_have(in_xero, contact_id):
    client = client_named("Northwind Traders")
    return client.email, in_xero.call("GET", f"Contacts/{contact_id}")["Contacts"][0]["EmailAddress"]


def test_a_practice_change_made_after_xeros_wins_and_reaches_xero(integrated, admin, sync_now, in_xero):
    contact_id, _ = edit_both_sides(admin, in_xero, practice_first=False)
    page = sync_now()
    assert both_sides_have(in_xero, contact_id) == (PRACTICE_EMAIL, PRACTICE_EMAIL)
    assert "changed in both systems" in page and "the practice change won" in page


def test_on_equal_timestamps_the_practice_change_wins(integrated, admin, sync_now, in_xero):
    contact_id, xero_changed = edit_both_sides(admin, in_xero, practice_first=False)
    practice_changed_at(xero_changed)
    page = sync_now()
    assert both_sides_have(in_xero, contact_id) == (PRACTICE_EMAIL, PRACTICE_EMAIL)
    assert "the practice change won" in page


def test_a_xero_change_one_millisecond_newer_wins(integrated, admin, sync_now, in_xero):
    contact_id, xero_changed = edit_both_sides(admin, in_xero, practice_first=True)
    practice_changed_at(xero_changed - timedelta(milliseconds=1))
    page = sync_now()
    assert both_sides_have(in_xero, contact_id) == (XERO_EMAIL, XERO_EMAIL)
    assert "the Xero change won" in page


def edit_draft_both_sides(admin, in_xero, sent):
    """The sent draft edited in Xero, then in the practice; return its Xero id and Xero's edit time."""
    xero_id = invoice_link_of(sent).xero_invoice_id
    edited = in_xero.call("POST", f"Invoices/{xero_id}", json={"Invoices": [{"LineItems": [
        {"Description": "Edited in Xero", "Quantity": 1, "UnitAmount": 90, "AccountCode": "200"}]}]})["Invoices"][0]
    edit_invoice(admin, db.session.get(Invoice, sent.id), "Edited in the practice", "500.00")
    return xero_id, naive_utc(xero_date(edited["UpdatedDateUTC"]))


def invoice_changed_at(invoice, moment):
    db.session.execute(update(Invoice).where(Invoice.id == invoice.id).values(updated_at=moment))
    db.session.commit()


def draft_lines(in_xero, xero_id, invoice):
    """The draft's line descriptions here and in Xero, and Xero's total."""
    draft = xero_invoice(in_xero, xero_id)
    db.session.expire_all()
    ours = db.session.get(Invoice, invoice.id)
    return ([line.description for line in ours.lines], [line["Description"] for line in draft["LineItems"]],
            draft["Total"])


def test_a_practice_edit_made_after_xero_edited_the_draft_wins(sent, admin, sync_now, in_xero):
    xero_id, _ = edit_draft_both_sides(admin, in_xero, sent)
    page = sync_now()
    assert draft_lines(in_xero, xero_id, sent) == (["Edited in the practice"], ["Edited in the practice"], 600.0)
    assert "the draft changed in both systems" in page and "the practice change won" in page


def test_on_equal_timestamps_the_practice_edit_of_the_draft_wins(sent, admin, sync_now, in_xero):
    xero_id, xero_changed = edit_draft_both_sides(admin, in_xero, sent)
    invoice_changed_at(sent, xero_changed)
    page = sync_now()
    assert draft_lines(in_xero, xero_id, sent) == (["Edited in the practice"], ["Edited in the practice"], 600.0)
    assert "the practice change won" in page
    edited = repr(f"edited {xero_changed:%Y-%m-%d %H:%M:%S}")  # the log says when each side edited it
    assert [entry["message"] for entry in latest_run().errors if entry["kind"] == "conflict"] == [
        f"Invoice {sent.number}: the draft changed in both systems (practice {edited}, Xero {edited}); "
        "the practice change won."]


def test_a_xero_edit_of_the_draft_one_millisecond_newer_wins(sent, admin, sync_now, in_xero):
    xero_id, xero_changed = edit_draft_both_sides(admin, in_xero, sent)
    invoice_changed_at(sent, xero_changed - timedelta(milliseconds=1))
    page = sync_now()
    assert draft_lines(in_xero, xero_id, sent) == (["Edited in Xero"], ["Edited in Xero"], 108.0)
    assert "the draft changed in both systems" in page and "the Xero change won" in page
    db.session.expire_all()
    assert db.session.get(Invoice, sent.id).total == Decimal("108.00")
