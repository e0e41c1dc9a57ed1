"""Payments: partial payments, nothing above the amount due, and the paid status."""
from datetime import date
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.models import Invoice, Payment
from support import html


def refreshed(invoice):
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def test_partial_payments_then_paid(admin, approved):
    response = admin.post(f"/invoices/{approved.id}/payments",
                          {"date": "2026-04-01", "amount": "50.00", "reference": "BACS 1"}, follow_redirects=True)
    assert "Payment recorded." in html(response)
    invoice = refreshed(approved)
    assert invoice.amount_paid == Decimal("50.00") and invoice.amount_due == Decimal("70.00")
    assert invoice.status == "awaiting_payment"
    page = html(admin.get(f"/invoices/{approved.id}"))
    assert "BACS 1" in page and "70.00" in page and "Record a payment" in page
    admin.post(f"/invoices/{approved.id}/payments", {"date": "2026-04-02", "amount": "70", "reference": "BACS 2"})
    invoice = refreshed(approved)
    assert invoice.status == "paid" and invoice.amount_due == Decimal("0.00")
    assert [(p.date, p.amount, p.reference) for p in invoice.payments] == [
        (date(2026, 4, 1), Decimal("50.00"), "BACS 1"), (date(2026, 4, 2), Decimal("70.00"), "BACS 2")]
    page = html(admin.get(f"/invoices/{approved.id}"))
    assert "Paid" in page and "Record a payment" not in page


def test_payment_above_the_amount_due_is_refused(admin, approved):
    response = admin.post(f"/invoices/{approved.id}/payments", {"amount": "120.01"})
    assert response.status_code == 400
    assert "The payment is more than the 120.00 due." in html(response)
    assert 'value="120.01"' in html(response)
    assert refreshed(approved).amount_paid == Decimal("0.00")


def test_second_payment_cannot_overshoot(admin, approved):
    admin.post(f"/invoices/{approved.id}/payments", {"amount": "100"})
    response = admin.post(f"/invoices/{approved.id}/payments", {"amount": "20.50"})
    assert response.status_code == 400
    assert "The payment is more than the 20.00 due." in html(response)


@pytest.mark.parametrize("amount, message", [
    ("", "Enter a number."),
    ("lots", "Enter a number."),
    ("-5", "Enter 0.01 or more."),
    ("0", "Enter 0.01 or more."),
    ("0.004", "Enter 0.01 or more."),
])
def test_bad_payment_amounts_show_messages(admin, approved, amount, message):
    response = admin.post(f"/invoices/{approved.id}/payments", {"amount": amount})
    assert response.status_code == 400
    assert str(escape(message)) in html(response)
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_amount_with_thousands_separator(admin, make_invoice):
    invoice = make_invoice(lines=[{"description": "Big job", "quantity": "1", "unit_price": "2000", "tax_rate": "0"}])
    services.approve_invoice(invoice)
    db.session.commit()
    admin.post(f"/invoices/{invoice.id}/payments", {"amount": "1,500.00"})
    assert refreshed(invoice).amount_paid == Decimal("1500.00")


def test_bad_payment_date_shows_a_message(admin, approved):
    response = admin.post(f"/invoices/{approved.id}/payments", {"amount": "10", "date": "yesterday"})
    assert response.status_code == 400
    assert "Enter a date like 2026-01-31." in html(response)


def test_payment_date_defaults_to_today(admin, approved):
    admin.post(f"/invoices/{approved.id}/payments", {"amount": "10"})
    assert refreshed(approved).payments[0].date == date.today()


def test_no_payment_on_a_draft(admin, make_invoice):
    invoice = make_invoice()
    response = admin.post(f"/invoices/{invoice.id}/payments", {"amount": "10"})
    assert response.status_code == 400
    assert "Payments can only be recorded on an approved invoice awaiting payment." in html(response)
    assert "Approve the invoice to record payments" in html(admin.get(f"/invoices/{invoice.id}"))


@pytest.mark.parametrize("status_change", [services.void_invoice])
def test_no_payment_on_a_void_invoice(admin, approved, status_change):
    status_change(approved)
    db.session.commit()
    assert admin.post(f"/invoices/{approved.id}/payments", {"amount": "10"}).status_code == 400


def test_no_payment_on_a_paid_invoice(admin, approved):
    admin.post(f"/invoices/{approved.id}/payments", {"amount": "120"})
    response = admin.post(f"/invoices/{approved.id}/payments", {"amount": "1"})
    assert response.status_code == 400


def test_invoice_with_payments_cannot_be_voided(admin, approved):
    admin.post(f"/invoices/{approved.id}/payments", {"amount": "10"})
    page = html(admin.get(f"/invoices/{approved.id}"))
    assert ">Void<" not in page
    response = admin.post(f"/invoices/{approved.id}/void", follow_redirects=True)
    assert "An invoice with payments cannot be voided." in html(response)
    assert refreshed(approved).status == "awaiting_payment"


def test_payment_on_unknown_invoice_is_404(admin):
    assert admin.post("/invoices/999999/payments", {"amount": "1"}).status_code == 404


def test_amount_due_shows_on_the_invoice_list(admin, approved):
    admin.post(f"/invoices/{approved.id}/payments", {"amount": "20"})
    page = html(admin.get("/invoices/?status=awaiting_payment"))
    assert "120.00" in page and "100.00" in page
