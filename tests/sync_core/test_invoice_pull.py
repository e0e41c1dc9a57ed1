"""A page of Xero's changed invoices applied to the practice (plugins/xero/sync/invoices.py ``_apply_page``)."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from bm.models import Client, Invoice, Payment
from plugins.xero.models import ContactLink, InvoiceLink, OutboxEntry, PaymentLink, SyncRun, WriteBatch
from plugins.xero.outbox import State
from plugins.xero.sync.engine import RunRecorder
from plugins.xero.sync.invoices import _apply_page, take_xero_payments

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


def test_a_linked_payment_still_waiting_for_its_batch_is_not_matched_again(core_db):
    """Our payment of 60 went in a batch whose answer was lost, and was linked to Xero's payment A when
    Xero's copy was read back; its outbox entry is still open. Someone then records another 60 on the
    same day in Xero (B): B is a new payment for the practice, not our payment a second time."""
    client = Client(reference="C0001", kind="business", name="Riverside Yoga Studio")
    core_db.add(client)
    core_db.flush()
    invoice = Invoice(number="INV-0007", client_id=client.id, due_date=date(2026, 12, 24), status="awaiting_payment",
                      total=Decimal("200.00"), amount_paid=Decimal("60.00"))
    core_db.add(invoice)
    core_db.flush()
    ours = Payment(invoice_id=invoice.id, date=date(2026, 11, 24), amount=Decimal("60.00"), reference="Cheque 12")
    link = InvoiceLink(invoice_id=invoice.id, tenant_id=TENANT, xero_invoice_id="x1", xero_status="AUTHORISED")
    batch = WriteBatch(tenant_id=TENANT, kind="payment-create", method="PUT", idempotency_key="k1", body=[],
                       object_ids=[])
    core_db.add_all([ours, link, batch])
    core_db.flush()
    core_db.add_all([PaymentLink(payment_id=ours.id, tenant_id=TENANT, xero_payment_id="A"),
                     OutboxEntry(kind="payment", object_id=ours.id, state=State.PENDING, batch_id=batch.id, detail={})])
    core_db.flush()
    run = RunRecorder(SyncRun(tenant_id=TENANT, trigger="manual", state="running", counts={}, errors=[]))
    same = {"Amount": 60.0, "Date": "2026-11-24T00:00:00"}
    take_xero_payments(link, {"Payments": [{"PaymentID": "A", **same}, {"PaymentID": "B", **same}]}, run)
    assert sorted((p.amount, p.date) for p in invoice.payments) == [(Decimal("60.00"), date(2026, 11, 24))] * 2
    assert run.counts == {"payments_pulled": 1}
    assert core_db.scalar(select(PaymentLink.payment_id).where(PaymentLink.xero_payment_id == "B")) != ours.id
