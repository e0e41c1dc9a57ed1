"""Invoices: raise with lines, totals in Decimal, view, edit drafts, approve, void, filters."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.models import Invoice
from support import html


def line_form(*lines):
    form = {}
    for index, (description, quantity, unit_price, tax_rate) in enumerate(lines):
        form |= {f"lines-{index}-description": description, f"lines-{index}-quantity": quantity,
                 f"lines-{index}-unit_price": unit_price, f"lines-{index}-tax_rate": tax_rate}
    return form


def latest_invoice():
    db.session.expire_all()
    return db.session.scalar(select(Invoice).order_by(Invoice.id.desc()))


def test_choose_a_client_first(admin, make_client):
    make_client(name="Acme")
    make_client(name="Beta")
    page = html(admin.get("/invoices/new?q=acm"))
    assert "choose the client" in page and "Acme" in page and "Beta" not in page


def test_create_invoice_with_lines_and_exact_totals(admin, make_client):
    client = make_client(name="Acme")
    form = {"date": "2026-03-01", "due_date": "2026-03-31", "reference": "PO-17"} | line_form(
        ("Bookkeeping", "3", "33.33", "20"),
        ("Payroll", "1.5", "10.01", "0"),
        ("", "", "", ""),  # a blank row in the form is ignored
    )
    response = admin.post(f"/invoices/new?client_id={client.id}", form)
    assert response.status_code == 302
    invoice = latest_invoice()
    assert response.headers["Location"] == f"/invoices/{invoice.id}"
    assert invoice.status == "draft" and invoice.reference == "PO-17"
    assert invoice.date == date(2026, 3, 1) and invoice.due_date == date(2026, 3, 31)
    assert [line.description for line in invoice.lines] == ["Bookkeeping", "Payroll"]
    assert invoice.lines[0].line_amount == Decimal("99.99") and invoice.lines[0].tax_amount == Decimal("20.00")
    assert invoice.lines[1].line_amount == Decimal("15.02")  # 15.015 rounds half up
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (Decimal("115.01"), Decimal("20.00"), Decimal("135.01"))
    assert all(isinstance(value, Decimal) for value in (invoice.subtotal, invoice.total, invoice.amount_due))
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert f"Invoice {invoice.number} saved as a draft." in page
    for text in ("Bookkeeping", "99.99", "115.01", "135.01", "PO-17", "Draft", "Acme"):
        assert text in page


def test_client_id_may_come_from_the_form(admin, make_client):
    client = make_client()
    response = admin.post("/invoices/new", {"client_id": str(client.id)} | line_form(("Work", "1", "5", "0")))
    assert response.status_code == 302
    assert latest_invoice().client_id == client.id


def test_money_survives_the_database_exactly(make_invoice):
    invoice = make_invoice(lines=[{"description": "Tiny", "quantity": "3", "unit_price": "0.10", "tax_rate": "0"}])
    db.session.expire_all()
    stored = db.session.get(Invoice, invoice.id)
    assert stored.total == Decimal("0.30")
    assert stored.lines[0].quantity == Decimal("3.0000")


def test_large_amounts_keep_every_penny(make_invoice):
    invoice = make_invoice(lines=[{"description": "Big", "quantity": "1", "unit_price": "9999999999.99", "tax_rate": "20"}])
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).total == Decimal("11999999999.99")


def test_due_date_defaults_from_payment_terms(make_invoice):
    invoice = make_invoice(date="2026-01-10")
    assert invoice.due_date == date(2026, 1, 10) + timedelta(days=14)


@pytest.mark.parametrize("lines, field, message", [
    ([("Work", "1", "ten", "20")], "lines-0-unit_price", "Enter a number."),
    ([("Work", "1", "-5", "20")], "lines-0-unit_price", "Enter a number that is not negative."),
    ([("Work", "x", "5", "20")], "lines-0-quantity", "Enter a number."),
    ([("Work", "-1", "5", "20")], "lines-0-quantity", "Enter a number that is not negative."),
    ([("Work", "1", "5", "120")], "lines-0-tax_rate", "Enter a rate from 0 to 100."),
    ([("Work", "1", "NaN", "0")], "lines-0-unit_price", "Enter a number."),
    ([("Work", "1", "Infinity", "0")], "lines-0-unit_price", "Enter a number."),
    ([("", "1", "5", "0")], "lines-0-description", "Describe the line."),
    ([], "lines", "Add at least one line."),
])
def test_bad_amounts_show_field_messages(admin, make_client, lines, field, message):
    client = make_client()
    response = admin.post(f"/invoices/new?client_id={client.id}", line_form(*lines))
    assert response.status_code == 400
    page = html(response)
    assert str(escape(message)) in page
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_bad_dates_show_field_messages(admin, make_client):
    client = make_client()
    response = admin.post(f"/invoices/new?client_id={client.id}",
                          {"date": "31/01/2026"} | line_form(("Work", "1", "5", "0")))
    assert response.status_code == 400
    assert "Enter a date like 2026-01-31." in html(response)
    response = admin.post(f"/invoices/new?client_id={client.id}",
                          {"date": "2026-02-01", "due_date": "2026-01-01"} | line_form(("Work", "1", "5", "0")))
    assert "The due date cannot be before the invoice date." in html(response)


def test_a_failed_invoice_does_not_use_up_a_number(admin, make_client):
    client = make_client()
    admin.post(f"/invoices/new?client_id={client.id}", line_form(("Work", "1", "bad", "0")))
    admin.post(f"/invoices/new?client_id={client.id}", line_form(("Work", "1", "5", "0")))
    assert latest_invoice().number == "BM-0001"


def test_edit_a_draft(admin, make_invoice):
    invoice = make_invoice()
    form = html(admin.get(f"/invoices/{invoice.id}/edit"))
    assert "Bookkeeping" in form and 'name="version" value="1"' in form
    response = admin.post(f"/invoices/{invoice.id}/edit", {"date": invoice.date.isoformat(), "reference": "New ref",
                                                          "version": "1"} | line_form(("Audit", "2", "50", "20")))
    assert response.status_code == 302
    invoice = latest_invoice()
    assert invoice.reference == "New ref" and invoice.total == Decimal("120.00")
    assert [line.description for line in invoice.lines] == ["Audit"]


def test_edit_with_bad_amount_keeps_the_draft(admin, make_invoice):
    invoice = make_invoice()
    response = admin.post(f"/invoices/{invoice.id}/edit", {"version": "1"} | line_form(("Audit", "2", "-1", "20")))
    assert response.status_code == 400
    assert latest_invoice().total == Decimal("120.00")


def test_racing_invoice_edits_show_a_conflict(admin, make_invoice):
    invoice = make_invoice()
    admin.post(f"/invoices/{invoice.id}/edit", {"version": "1", "reference": "first"} | line_form(("A", "1", "1", "0")))
    response = admin.post(f"/invoices/{invoice.id}/edit", {"version": "1", "reference": "second"} | line_form(("B", "1", "1", "0")))
    assert response.status_code == 400
    assert "changed by someone else" in html(response)
    assert latest_invoice().reference == "first"


def test_approve_a_draft(admin, make_invoice):
    invoice = make_invoice()
    response = admin.post(f"/invoices/{invoice.id}/approve", follow_redirects=True)
    assert f"Invoice {invoice.number} approved." in html(response)
    assert latest_invoice().status == "awaiting_payment"
    assert "Record a payment" in html(response)


def test_approving_twice_is_refused_with_a_message(admin, make_invoice):
    invoice = make_invoice()
    admin.post(f"/invoices/{invoice.id}/approve")
    response = admin.post(f"/invoices/{invoice.id}/approve", follow_redirects=True)
    assert "Only a draft invoice can be approved." in html(response)


def test_zero_invoice_is_paid_on_approval(admin, make_invoice):
    invoice = make_invoice(lines=[{"description": "Free advice", "quantity": "1", "unit_price": "0", "tax_rate": "0"}])
    admin.post(f"/invoices/{invoice.id}/approve")
    assert latest_invoice().status == "paid"


@pytest.mark.parametrize("approve_first", [False, True])
def test_void(admin, make_invoice, approve_first):
    invoice = make_invoice()
    if approve_first:
        admin.post(f"/invoices/{invoice.id}/approve")
    response = admin.post(f"/invoices/{invoice.id}/void", follow_redirects=True)
    assert f"Invoice {invoice.number} voided." in html(response)
    assert latest_invoice().status == "void"
    again = admin.post(f"/invoices/{invoice.id}/void", follow_redirects=True)
    assert "This invoice is already void." in html(again)


def test_editing_an_approved_invoice_is_refused(admin, make_invoice):
    invoice = make_invoice()
    admin.post(f"/invoices/{invoice.id}/approve")
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert f'href="/invoices/{invoice.id}/edit"' not in page
    response = admin.get(f"/invoices/{invoice.id}/edit")
    assert response.status_code == 303
    assert "only draft invoices can be edited" in html(admin.get(response.headers["Location"]))
    response = admin.post(f"/invoices/{invoice.id}/edit", {"version": "2"} | line_form(("Sneaky", "1", "1", "0")))
    assert response.status_code == 303
    assert latest_invoice().lines[0].description == "Bookkeeping"


def test_service_refuses_to_edit_an_approved_invoice(make_invoice):
    invoice = make_invoice()
    services.approve_invoice(invoice)
    with pytest.raises(services.ValidationError, match="only draft invoices can be edited"):
        services.update_invoice(invoice, {"reference": "x"})


@pytest.mark.parametrize("url", ["/invoices/999999", "/invoices/999999/edit"])
def test_unknown_invoice_is_a_404_page(admin, url):
    response = admin.get(url)
    assert response.status_code == 404 and "Not found" in html(response)


def test_new_invoice_for_unknown_client_is_a_404(admin):
    assert admin.get("/invoices/new?client_id=999999").status_code == 404


def test_add_line_returns_one_row(admin):
    page = html(admin.get("/invoices/line-row?index=4", headers={"HX-Request": "true"}))
    assert 'name="lines-4-description"' in page and "<html" not in page


def test_filter_by_client_and_status(admin, make_client, make_invoice):
    acme, beta = make_client(name="Acme"), make_client(name="Beta")
    draft = make_invoice(client=acme)
    approved = make_invoice(client=acme)
    services.approve_invoice(approved)
    other = make_invoice(client=beta)
    db.session.commit()
    page = html(admin.get("/invoices/"))
    assert all(invoice.number in page for invoice in (draft, approved, other))
    page = html(admin.get(f"/invoices/?client_id={acme.id}"))
    assert "Invoices for Acme" in page and draft.number in page and other.number not in page
    page = html(admin.get(f"/invoices/?client_id={acme.id}&status=awaiting_payment"))
    assert approved.number in page and draft.number not in page
    page = html(admin.get("/invoices/?status=draft"))
    assert draft.number in page and other.number in page and approved.number not in page
    assert "No invoices match this filter" in html(admin.get("/invoices/?status=void"))


def test_invoice_filter_is_an_htmx_partial(admin, make_invoice):
    make_invoice()
    response = admin.get("/invoices/?status=draft", headers={"HX-Request": "true"})
    assert "<html" not in html(response) and "HX-Request" in ", ".join(response.headers.getlist("Vary"))


def test_unknown_status_or_client_filters_show_everything(admin, make_invoice):
    invoice = make_invoice()
    page = html(admin.get("/invoices/?status=bogus&client_id=999"))
    assert invoice.number in page
