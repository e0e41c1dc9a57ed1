"""What the sync keeps of the records Xero sends: a pulled contact's status in the local copy
(plugins/xero/sync/contacts.py), whether an invoice can be used (invoices.py ``check_invoice``),
and which contacts Preview would newly list for matching (preview.py)."""
import pytest
from sqlalchemy import select

from plugins.xero.models import SyncRun, XeroContact
from plugins.xero.sync.contacts import store_contacts
from plugins.xero.sync.engine import RunRecorder
from plugins.xero.sync.invoices import check_invoice
from plugins.xero.sync.preview import _new_customers

TENANT = "tenant-1"


def contact(contact_id, **fields):
    return {"ContactID": contact_id, "Name": f"Contact {contact_id}", "UpdatedDateUTC": "2026-11-20T09:00:00",
            **fields}


def statuses(core_db):
    return dict(core_db.execute(select(XeroContact.contact_id, XeroContact.status)).all())


def test_a_stored_contact_keeps_the_status_xero_gives_and_is_active_without_one(core_db):
    run = RunRecorder(SyncRun(tenant_id=TENANT, trigger="manual", state="running", counts={}, errors=[]))
    store_contacts(TENANT, [contact("a", ContactStatus="ACTIVE"), contact("b")], run)
    assert statuses(core_db) == {"a": "ACTIVE", "b": "ACTIVE"}
    store_contacts(TENANT, [contact("a", ContactStatus="ARCHIVED"), contact("c", ContactStatus="GDPRREQUEST")], run)
    assert statuses(core_db) == {"a": "ARCHIVED", "b": "ACTIVE", "c": "GDPRREQUEST"}


INVOICE = {"InvoiceID": "i1", "Type": "ACCREC", "Contact": {"ContactID": "c1"}, "Date": "2026-11-20T00:00:00",
           "UpdatedDateUTC": "2026-11-20T09:00:00"}


def test_an_invoice_with_readable_dates_is_usable():
    assert check_invoice(INVOICE) is None
    assert check_invoice({**INVOICE, "Date": None}) is None  # a date left out is kept as the practice has it


@pytest.mark.parametrize("field", ["Date", "UpdatedDateUTC"])
def test_an_invoice_whose_dates_cannot_be_read_is_not_taken(field):
    assert check_invoice({**INVOICE, field: "20th of Brumaire"}) == "unreadable dates"
    assert check_invoice({**INVOICE, field: "/Date(soon)/"}) == "unreadable dates"


def test_a_contact_invoiced_only_by_voided_or_deleted_invoices_is_not_a_new_customer(core_db):
    contacts = {"c1": {"Name": "Voided Only", "IsCustomer": False, "ContactStatus": "ACTIVE"},
                "c2": {"Name": "Deleted Only", "IsCustomer": False, "ContactStatus": "ACTIVE"},
                "c3": {"Name": "Invoiced", "IsCustomer": False, "ContactStatus": "ACTIVE"}}
    invoices = [{"Contact": {"ContactID": "c1"}, "Status": "VOIDED"},
                {"Contact": {"ContactID": "c2"}, "Status": "DELETED"},
                {"Contact": {"ContactID": "c3"}, "Status": "AUTHORISED"}]
    assert _new_customers(TENANT, contacts, invoices) == [{"name": "Invoiced", "contact_id": "c3"}]
