"""Payments: only against AUTHORISED invoices, into payable accounts, never more than is due."""
import pytest

from .conformance import body_of


@pytest.fixture
def authorised(xero):
    contact = xero.contact_named("Kestrel Engineering Ltd")["ContactID"]
    answer = xero.new_invoice(contact, [{"Description": "Design", "Quantity": 1, "UnitAmount": 100,
                                         "AccountCode": "200"}], status="AUTHORISED")
    return answer.json()["Invoices"][0]


def _pay(xero, invoice_id, amount, account="090"):
    return xero.put("Payments", json={"Payments": [{"Invoice": {"InvoiceID": invoice_id},
                                                    "Account": {"Code": account}, "Amount": amount,
                                                    "Date": "2026-01-15"}]})


def test_part_then_full_payment_updates_the_invoice(xero, authorised):
    first = _pay(xero, authorised["InvoiceID"], 20)
    assert first.status_code == 200, body_of(first)
    payment = first.json()["Payments"][0]
    assert payment["PaymentType"] == "ACCRECPAYMENT" and payment["Invoice"]["AmountDue"] == 100.0
    _pay(xero, authorised["InvoiceID"], 100)
    invoice = xero.get(f"Invoices/{authorised['InvoiceID']}").json()["Invoices"][0]
    assert (invoice["AmountPaid"], invoice["AmountDue"], invoice["Status"]) == (120.0, 0.0, "PAID")
    assert invoice["FullyPaidOnDate"].startswith("/Date(") and len(invoice["Payments"]) == 2


def test_overpayment_is_refused_with_xeros_message(xero, authorised):
    answer = _pay(xero, authorised["InvoiceID"], 120.01)
    assert answer.status_code == 400
    assert answer.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Payment amount exceeds the amount outstanding on this document"}]


def test_drafts_cannot_be_paid(xero):
    contact = xero.contact_named("Oakley Joinery")["ContactID"]
    draft = xero.new_invoice(contact, [{"Description": "x", "Quantity": 1, "UnitAmount": 5}]).json()["Invoices"][0]
    answer = _pay(xero, draft["InvoiceID"], 1)
    assert answer.status_code == 400 and "Authorised" in body_of(answer)


def test_payments_go_into_accounts_that_take_them(xero, authorised):
    answer = _pay(xero, authorised["InvoiceID"], 10, account="200")
    assert answer.status_code == 400 and "Payments cannot be made to account 200" in body_of(answer)


def test_deleting_a_payment_reopens_the_invoice(xero, authorised):
    payment = _pay(xero, authorised["InvoiceID"], 120).json()["Payments"][0]
    deleted = xero.post(f"Payments/{payment['PaymentID']}", json={"Payments": [{"Status": "DELETED"}]})
    assert deleted.status_code == 200, body_of(deleted)
    invoice = xero.get(f"Invoices/{authorised['InvoiceID']}").json()["Invoices"][0]
    assert (invoice["Status"], invoice["AmountDue"]) == ("AUTHORISED", 120.0)
    listed = xero.get("Payments", params={"where": 'Status=="DELETED"'}).json()["Payments"]
    assert [p["PaymentID"] for p in listed] == [payment["PaymentID"]]
