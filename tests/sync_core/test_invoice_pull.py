"""A page of Xero's changed invoices applied to the practice (plugins/xero/sync/invoices.py ``_apply_page``)."""
from bm.models import Client
from plugins.xero.models import ContactLink, SyncRun
from plugins.xero.sync.engine import RunRecorder
from plugins.xero.sync.invoices import _apply_page

TENANT = "tenant-1"


def test_an_invoice_that_cannot_be_saved_is_reported_by_its_id_when_it_has_no_number(core_db):
    client = Client(reference="C0001", kind="business", name="Riverside Yoga Studio")
    core_db.add(client)
    core_db.flush()
    core_db.add(ContactLink(client_id=client.id, tenant_id=TENANT, contact_id="c1", snapshot={}))
    core_db.flush()
    run = RunRecorder(SyncRun(tenant_id=TENANT, trigger="manual", state="running", counts={}, errors=[]))
    unsaveable = {"InvoiceID": "a1b2c3d4-0000-4000-8000-000000000001", "Type": "ACCREC", "Status": "AUTHORISED",
                  "Contact": {"ContactID": "c1"}, "UpdatedDateUTC": "2026-11-20T09:00:00",
                  "Date": "2026-11-20T00:00:00", "DueDate": "2026-11-01T00:00:00",
                  "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": 40}]}
    _apply_page(TENANT, [unsaveable], run)
    assert [error["message"] for error in run.errors] == [
        "Invoice a1b2c3d4-0000-4000-8000-000000000001 from Xero could not be saved: "
        "The due date cannot be before the invoice date."]
    _apply_page(TENANT, [{**unsaveable, "InvoiceNumber": "INV-0042"}], run)
    assert run.errors[-1]["message"].startswith("Invoice INV-0042 from Xero could not be saved")
