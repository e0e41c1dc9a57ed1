"""Synchronise Invoicing and Invoice Sync Troubleshooting, as the help article describes them,
against the sandbox over HTTP.
"""
import threading
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, func, select

from bm import services
from bm.extensions import db
from bm.models import Invoice
from bm.testing import Browser
from plugins.xero.api import xero_date
from plugins.xero.models import InvoiceLink, PaymentLink, SyncRun, WriteBatch, XeroSettings, XeroTaxRate
from plugins.xero.outbox import waiting_entry
from plugins.xero.sync.contacts import naive_utc

from .support import client_named, contact_id_of, html

XERO = "/tools/integrations/xero"
LINE = {"description": "Year-end accounts", "quantity": "2", "unit_price": "150.00", "tax_rate": "20"}


def invoice_numbered(number):
    db.session.expire_all()
    return db.session.scalar(select(Invoice).where(Invoice.number == number))


def latest_run():
    db.session.expire_all()
    return db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))


def link_of(invoice):
    db.session.expire_all()
    return db.session.scalar(select(InvoiceLink).where(InvoiceLink.invoice_id == invoice.id))


def raise_invoice(admin, client, **line):
    """Raise an invoice on the practice's New invoice form; return it."""
    fields = {f"lines-0-{key}": value for key, value in {**LINE, **line}.items()}
    response = admin.post(f"/invoices/new?client_id={client.id}", {"date": "2026-11-20", "reference": "", **fields})
    assert response.status_code == 302, html(response)[:2000]
    return db.session.get(Invoice, int(response.headers["Location"].rsplit("/", 1)[1]))


def edit_invoice(admin, invoice, description, unit_price):
    """Edit a practice invoice's one line on its form, as a user would."""
    response = admin.post(f"/invoices/{invoice.id}/edit", {
        "date": "2026-11-20", "due_date": "2026-12-20", "reference": "", "version": invoice.version,
        "lines-0-description": description, "lines-0-quantity": "1",
        "lines-0-unit_price": unit_price, "lines-0-tax_rate": "20"})
    assert response.status_code == 302, html(response)[:1500]


def xero_invoice(in_xero, invoice_id):
    return in_xero.call("GET", f"Invoices/{invoice_id}")["Invoices"][0]


def sales_invoices(in_xero, contact_id):
    return in_xero.call("GET", "Invoices", params={"ContactIDs": contact_id, "page": 1})["Invoices"]


def bank(in_xero, code="090"):
    return next(a for a in in_xero.call("GET", "Accounts")["Accounts"] if a["Code"] == code)


def enable_invoice_sync(admin, in_xero, **fields):
    form = {"client_sync_enabled": "1", "sync_interval_minutes": "15", "invoice_sync_enabled": "1",
            "default_bank_account_id": bank(in_xero)["AccountID"], "sales_account_code": "200",
            "default_tax_type": "", **fields}
    return admin.post(f"{XERO}/settings", form)


@pytest.fixture
def integrated_no_clients(integrate):
    """Integrated with Demo Company (UK) before the practice has any client (not conftest's ``integrated``)."""
    return integrate()


@pytest.fixture
def riverside(integrated_no_clients, admin):
    """Riverside Yoga Studio, a Xero customer (with one historical invoice), created here and linked."""
    admin.post(f"{XERO}/contacts/{contact_id_of('Riverside Yoga Studio')}/create")
    return client_named("Riverside Yoga Studio")


@pytest.fixture
def invoicing(riverside, admin, in_xero):
    """Invoice sync switched on with the Business Bank Account as Default Bank."""
    assert enable_invoice_sync(admin, in_xero).status_code == 302
    return riverside


# -- 1. Integration Settings ----------------------------------------------------------------------


def test_integration_settings_offer_the_banks_sales_accounts_and_tax_rates_from_xero(integrated_no_clients, admin):
    page = html(admin.get(f"{XERO}/"))
    assert "Integration Settings" in page and "Invoice sync: off." in page
    page = html(admin.get(f"{XERO}/settings"))
    for label in ("Integration Settings", "Enable Invoice Sync", "Default Bank", "Save"):
        assert label in page
    assert "Business Bank Account (090)" in page and "Business Savings Account (091)" in page
    assert "200 – Sales" in page and "General Expenses" not in page
    assert "20% (VAT on Income)" in page and "VAT on Expenses" not in page


def test_enable_invoice_sync_records_the_moment_and_the_default_bank(integrated_no_clients, admin, in_xero):
    response = enable_invoice_sync(admin, in_xero, default_bank_account_id=bank(in_xero, "091")["AccountID"])
    assert response.status_code == 302
    settings = db.session.get(XeroSettings, 1)
    db.session.refresh(settings)
    assert settings.invoice_sync_enabled and settings.invoice_sync_enabled_at is not None
    assert settings.default_bank_account_name == "Business Savings Account (091)"
    assert "On since" in html(admin.get(f"{XERO}/settings"))
    assert "Invoice sync: on since" in html(admin.get(f"{XERO}/"))


def test_default_bank_must_be_chosen(integrated_no_clients, admin, in_xero):
    response = enable_invoice_sync(admin, in_xero, default_bank_account_id="")
    assert response.status_code == 400 and "Select your Default Bank." in html(response)
    assert not db.session.get(XeroSettings, 1).invoice_sync_enabled


def test_without_a_bank_account_in_xero_invoice_sync_cannot_be_enabled(integrated_no_clients, admin, in_xero, sandbox):
    store = sandbox.app.extensions["xero_sandbox"].store
    for account in store.select("account"):
        if account["Type"] == "BANK":
            store.put("account", account["AccountID"], {**account, "Status": "ARCHIVED"}, store.rows(
                "SELECT tenant FROM records WHERE kind = 'account' AND id = ?", (account["AccountID"],))[0][0])
    page = html(admin.get(f"{XERO}/settings"))
    assert "you will need to configure a bank account in Xero" in page
    response = enable_invoice_sync(admin, in_xero, default_bank_account_id="")
    assert response.status_code == 400 and "Invoice sync cannot be enabled" in html(response)


def test_staff_cannot_change_integration_settings(integrated_no_clients, make_user, app, in_xero):
    make_user("staff@example.com")
    staff = Browser(app.test_client())
    staff.login("staff@example.com")
    assert staff.get(f"{XERO}/settings").status_code == 403
    assert enable_invoice_sync(staff, in_xero).status_code == 403


# -- 2. New invoices both ways ----------------------------------------------------------------------


@pytest.mark.variants
def test_new_invoice_goes_to_xero_as_a_draft_and_takes_the_xero_number(invoicing, admin, sync_now, in_xero, sandbox):
    invoice = raise_invoice(admin, invoicing)
    practice_number = invoice.number
    assert practice_number.startswith("BM-")
    assert "will be added to Xero as a draft on the next sync" in html(admin.get(f"/invoices/{invoice.id}"))
    sandbox.reset_stats()
    sync_now()
    assert "GET /api.xro/2.0/TaxRates" not in sandbox.stats()["calls"]  # the rates Integration Settings read serve
    link = link_of(invoice)
    sent = xero_invoice(in_xero, link.xero_invoice_id)
    assert sent["Status"] == "DRAFT" and sent["Type"] == "ACCREC" and sent["Reference"] == practice_number
    assert sent["LineAmountTypes"] == "Exclusive" and sent["Total"] == 360.0
    line = sent["LineItems"][0]
    assert (line["AccountCode"], line["TaxType"], line["Quantity"], line["UnitAmount"]) == ("200", "OUTPUT2", 2, 150)
    invoice = invoice_numbered(sent["InvoiceNumber"])
    assert invoice is not None and invoice.id == link.invoice_id
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert f"Invoice {sent['InvoiceNumber']}" in page and f"Raised as {practice_number}" in page
    assert "Approve the invoice in Xero to issue it" in page and "Draft in Xero" in page


@pytest.mark.variants
def test_invoice_raised_in_xero_for_a_linked_contact_appears_with_number_lines_and_status(
        invoicing, sync_now, in_xero):
    contact_id = contact_id_of("Riverside Yoga Studio")
    raised = in_xero.call("PUT", "Invoices", json={"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": "AUTHORISED", "Reference": "PO 881",
        "Date": "2026-11-21", "DueDate": "2026-12-05",
        "LineItems": [{"Description": "Payroll", "Quantity": 3, "UnitAmount": 40, "AccountCode": "200"},
                      {"Description": "Zero-rated book", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200",
                       "TaxType": "ZERORATEDOUTPUT"}]}]})["Invoices"][0]
    sync_now()
    invoice = invoice_numbered(raised["InvoiceNumber"])
    assert invoice is not None and invoice.client.name == "Riverside Yoga Studio"
    assert invoice.status == "awaiting_payment" and invoice.reference == "PO 881"
    assert [(line.description, line.quantity, line.unit_price, line.tax_rate) for line in invoice.lines] == [
        ("Payroll", 3, Decimal("40.00"), 20), ("Zero-rated book", 1, Decimal("10.00"), 0)]
    assert invoice.total == Decimal(str(raised["Total"])) == Decimal("154.00")
    assert str(invoice.due_date) == "2026-12-05"
    link = link_of(invoice)
    assert link.origin == "xero"
    # Xero's moment of the change, kept to tell which side changed last when both edit it.
    assert link.xero_updated_at == naive_utc(xero_date(raised["UpdatedDateUTC"]))


def test_invoices_raised_in_xero_before_enabling_are_never_imported(riverside, admin, sync_now, in_xero, xero_user):
    contact_id = contact_id_of("Riverside Yoga Studio")
    before = in_xero.raise_invoice(contact_id, "75.00", status="DRAFT")
    enable_invoice_sync(admin, in_xero)
    # Edited and approved after enabling: still an invoice from before.
    in_xero.call("POST", f"Invoices/{before['InvoiceID']}", json={"Invoices": [{"Reference": "edited later"}]})
    xero_user.http.post(f"{xero_user.base_url}/login", data={"email": "xero@example.com", "password": "xero"})
    xero_user.http.post(f"{xero_user.base_url}/AccountsReceivable/Approve", params={"InvoiceID": before["InvoiceID"]})
    sync_now()
    assert invoice_numbered(before["InvoiceNumber"]) is None
    historical = [i for i in sales_invoices(in_xero, contact_id) if i["InvoiceID"] != before["InvoiceID"]]
    assert historical and all(invoice_numbered(i["InvoiceNumber"]) is None for i in historical)
    assert riverside.invoices.count() == 0


def test_credit_notes_are_not_synchronised(invoicing, sync_now, in_xero):
    in_xero.call("PUT", "CreditNotes", json={"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": contact_id_of("Riverside Yoga Studio")}, "Status": "AUTHORISED",
        "LineItems": [{"Description": "Refund", "Quantity": 1, "UnitAmount": 20, "AccountCode": "200"}]}]})
    sync_now()
    assert invoicing.invoices.count() == 0


def test_xero_invoices_of_unlinked_contacts_are_not_imported(invoicing, sync_now, in_xero):
    raised = in_xero.raise_invoice(in_xero.contact_named("Kestrel Engineering Ltd")["ContactID"])
    sync_now()
    assert invoice_numbered(raised["InvoiceNumber"]) is None


def test_xero_invoice_for_a_new_customer_comes_in_once_the_contact_is_linked(invoicing, admin, sync_now, in_xero):
    oakley = in_xero.contact_named("Oakley Joinery")
    raised = in_xero.raise_invoice(oakley["ContactID"], "80.00")
    sync_now()  # Oakley is now a Xero customer, listed for matching, not linked yet
    assert invoice_numbered(raised["InvoiceNumber"]) is None
    admin.post(f"{XERO}/contacts/{oakley['ContactID']}/create")
    sync_now()
    invoice = invoice_numbered(raised["InvoiceNumber"])
    assert invoice is not None and invoice.client.name == "Oakley Joinery" and invoice.total == Decimal("96.00")


def test_invoice_of_an_unlinked_client_waits_and_says_how_to_link(invoicing, admin, sync_now, in_xero, make_client):
    oakley = make_client(name="Oakley Joinery")
    invoice = raise_invoice(admin, oakley)
    sync_now()
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert "isn&#39;t linked to a Xero contact" in page and "Tools &gt; Integrations &gt; Xero" in page
    assert "Not in Xero" in page and link_of(invoice) is None
    contact = in_xero.contact_named("Oakley Joinery")
    admin.post(f"{XERO}/contacts/{contact['ContactID']}/merge", {"client_id": oakley.id, "use": "xero"})
    sync_now()
    assert link_of(invoice) is not None
    assert xero_invoice(in_xero, link_of(invoice).xero_invoice_id)["Contact"]["ContactID"] == contact["ContactID"]


def test_invoice_raised_before_invoice_sync_was_enabled_is_not_sent(riverside, admin, sync_now, in_xero):
    invoice = raise_invoice(admin, riverside)
    assert "invoice sync is off" in html(admin.get(f"/invoices/{invoice.id}"))
    enable_invoice_sync(admin, in_xero)
    sync_now()
    assert link_of(invoice) is None
    assert "raised before invoice sync was turned on" in html(admin.get(f"/invoices/{invoice.id}"))


def test_new_client_and_its_invoice_reach_xero_in_one_sync(invoicing, admin, sync_now, in_xero):
    admin.post("/clients/new", {"name": "Fresh Start Bakery"})
    invoice = raise_invoice(admin, client_named("Fresh Start Bakery"))
    sync_now()
    link = link_of(invoice)
    assert link is not None
    assert xero_invoice(in_xero, link.xero_invoice_id)["Contact"]["Name"] == "Fresh Start Bakery"


# -- 3. Status and payments -------------------------------------------------------------------------


@pytest.fixture
def in_xero_ui(xero_user):
    """The Xero user, logged in to the sandbox's pages."""
    xero_user.http.post(f"{xero_user.base_url}/login", data={"email": "xero@example.com", "password": "xero"})
    return xero_user


def approve_in_xero(in_xero_ui, xero_invoice_id):
    in_xero_ui.http.post(f"{in_xero_ui.base_url}/AccountsReceivable/Approve", params={"InvoiceID": xero_invoice_id})


def pay_in_xero(in_xero_ui, in_xero, xero_invoice_id, amount, day="2026-11-25"):
    page = in_xero_ui.http.post(f"{in_xero_ui.base_url}/AccountsReceivable/Pay", params={"InvoiceID": xero_invoice_id},
                                data={"account": bank(in_xero)["AccountID"], "amount": amount, "date": day,
                                      "reference": "BACS"})
    assert "Payment recorded" in page.text


@pytest.fixture
def sent(invoicing, admin, sync_now):
    """A practice invoice (£360) that reached Xero as a draft."""
    invoice = raise_invoice(admin, invoicing)
    sync_now()
    return invoice


def test_approval_in_xero_shows_in_the_practice(sent, sync_now, in_xero_ui):
    approve_in_xero(in_xero_ui, link_of(sent).xero_invoice_id)
    sync_now()
    db.session.expire_all()
    assert db.session.get(Invoice, sent.id).status == "awaiting_payment"


@pytest.mark.variants
def test_payments_in_xero_update_amount_paid_due_and_status(sent, admin, sync_now, in_xero, in_xero_ui):
    xero_id = link_of(sent).xero_invoice_id
    approve_in_xero(in_xero_ui, xero_id)
    pay_in_xero(in_xero_ui, in_xero, xero_id, "100.00")
    sync_now()
    invoice = db.session.get(Invoice, sent.id)
    assert (invoice.amount_paid, invoice.amount_due, invoice.status) == (Decimal("100.00"), Decimal("260.00"),
                                                                       "awaiting_payment")
    assert latest_run().counts.get("payments_pulled") == 1
    pay_in_xero(in_xero_ui, in_xero, xero_id, "260.00")
    sync_now()
    assert latest_run().errors == []  # paid in both: nothing to report
    sync_now()  # seeing the same payments again records nothing twice
    invoice = db.session.get(Invoice, sent.id)
    db.session.refresh(invoice)
    assert (invoice.amount_paid, invoice.status, len(invoice.payments)) == (Decimal("360.00"), "paid", 2)
    assert invoice.payments[0].reference == "BACS"


@pytest.mark.variants
def test_practice_payment_waits_for_approval_in_xero_then_goes_to_the_default_bank(
        sent, admin, sync_now, in_xero, in_xero_ui):
    admin.post(f"/invoices/{sent.id}/approve")
    admin.post(f"/invoices/{sent.id}/payments", {"date": "2026-11-24", "amount": "60.00", "reference": "Cheque 12"})
    sync_now()
    xero_id = link_of(sent).xero_invoice_id
    assert xero_invoice(in_xero, xero_id)["AmountPaid"] == 0
    page = html(admin.get(f"/invoices/{sent.id}"))
    assert "Waiting for the invoice to be approved in Xero" in page
    approve_in_xero(in_xero_ui, xero_id)
    sync_now()
    in_xero_invoice = xero_invoice(in_xero, xero_id)
    assert in_xero_invoice["AmountPaid"] == 60.0 and in_xero_invoice["AmountDue"] == 300.0
    payment = in_xero.call("GET", f"Payments/{in_xero_invoice['Payments'][0]['PaymentID']}")["Payments"][0]
    assert payment["Account"]["Code"] == "090" and payment["Reference"] == "Cheque 12"
    sync_now()
    invoice = db.session.get(Invoice, sent.id)
    db.session.refresh(invoice)
    assert len(invoice.payments) == 1 and invoice.amount_paid == Decimal("60.00")
    assert "Waiting for the invoice" not in html(admin.get(f"/invoices/{sent.id}"))


@pytest.mark.variants
def test_a_draft_edited_in_xero_is_edited_here(invoicing, sync_now, in_xero):
    raised = in_xero.raise_invoice(contact_id_of("Riverside Yoga Studio"), "50.00", status="DRAFT")
    sync_now()
    assert invoice_numbered(raised["InvoiceNumber"]).status == "draft"
    in_xero.call("POST", f"Invoices/{raised['InvoiceID']}", json={"Invoices": [{"LineItems": [
        {"Description": "Work, revised", "Quantity": 2, "UnitAmount": 50, "AccountCode": "200"}]}]})
    sync_now()
    invoice = invoice_numbered(raised["InvoiceNumber"])
    assert invoice.lines[0].description == "Work, revised" and invoice.total == Decimal("120.00")


def test_a_free_line_added_in_xero_keeps_its_tax_rate(invoicing, sync_now, in_xero):
    """A zero line's tax amount shows no rate: it is the organisation's rate for the line's tax type."""
    raised = in_xero.raise_invoice(contact_id_of("Riverside Yoga Studio"), "50.00", status="DRAFT")
    sync_now()
    in_xero.call("POST", f"Invoices/{raised['InvoiceID']}", json={"Invoices": [{"LineItems": [
        {"Description": "Work", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200", "TaxType": "OUTPUT2"},
        {"Description": "First consultation, free", "Quantity": 1, "UnitAmount": 0, "AccountCode": "200",
         "TaxType": "OUTPUT2"}]}]})
    sync_now()
    invoice = invoice_numbered(raised["InvoiceNumber"])
    assert [(line.description, line.tax_rate) for line in invoice.lines] == [
        ("Work", Decimal("20")), ("First consultation, free", Decimal("20"))]


def test_a_draft_renumbered_in_xero_shows_its_new_number(sent, admin, sync_now, in_xero):
    xero_id = link_of(sent).xero_invoice_id
    in_xero.call("POST", f"Invoices/{xero_id}", json={"Invoices": [{"InvoiceNumber": "INV-9001"}]})
    sync_now()
    assert link_of(sent).xero_number == "INV-9001"
    assert "In Xero as <strong>INV-9001</strong>" in html(admin.get(f"/invoices/{sent.id}"))


def test_rates_unknown_here_are_read_from_xero_once_and_the_invoice_sent(invoicing, admin, sync_now, sandbox):
    db.session.execute(delete(XeroTaxRate))  # as before Integration Settings had read them
    db.session.commit()
    invoice = raise_invoice(admin, invoicing)
    sandbox.reset_stats()
    sync_now()
    assert sandbox.stats()["calls"].get("GET /api.xro/2.0/TaxRates") == 1
    assert link_of(invoice) is not None and latest_run().errors == []


def test_an_invoice_voided_before_it_reached_xero_leaves_the_outbox(invoicing, admin, sync_now, in_xero):
    invoice = raise_invoice(admin, invoicing)
    admin.post(f"/invoices/{invoice.id}/void")
    assert waiting_entry("invoice", invoice.id) is not None
    sync_now()
    assert waiting_entry("invoice", invoice.id) is None and link_of(invoice) is None
    assert all(sent.get("Reference") != invoice.number
               for sent in sales_invoices(in_xero, contact_id_of("Riverside Yoga Studio")))


# -- 4. Edits ---------------------------------------------------------------------------------------


def test_practice_edit_updates_the_xero_draft(sent, admin, sync_now, in_xero):
    invoice = db.session.get(Invoice, sent.id)
    edit_invoice(admin, invoice, "Year-end accounts and tax return", "500.00")
    sync_now()
    draft = xero_invoice(in_xero, link_of(invoice).xero_invoice_id)
    assert draft["Status"] == "DRAFT" and draft["Total"] == 600.0
    assert draft["LineItems"][0]["Description"] == "Year-end accounts and tax return"
    assert draft["DueDateString"].startswith("2026-12-20")


def test_once_approved_in_xero_xero_values_win_and_the_invoice_is_read_only(sent, admin, sync_now, in_xero, in_xero_ui):
    xero_id = link_of(sent).xero_invoice_id
    approve_in_xero(in_xero_ui, xero_id)
    in_xero.call("POST", f"Invoices/{xero_id}", json={"Invoices": [{"LineItems": [
        {"Description": "Agreed fee", "Quantity": 1, "UnitAmount": 250, "AccountCode": "200"}]}]})
    sync_now()
    invoice = db.session.get(Invoice, sent.id)
    db.session.refresh(invoice)
    assert invoice.total == Decimal("300.00") and invoice.lines[0].description == "Agreed fee"
    assert invoice.status == "awaiting_payment"
    assert admin.get(f"/invoices/{invoice.id}/edit").status_code == 303


def test_hook_invoice_lock_reason_makes_an_invoice_approved_in_xero_read_only(sent):
    from plugins.xero.plugin import invoice_lock_reason

    invoice = db.session.get(Invoice, sent.id)
    assert invoice_lock_reason(invoice=invoice) is None  # still a draft in Xero: editable here
    link_of(sent).xero_status = "AUTHORISED"
    assert "Xero's values win" in services.invoice_lock_reason(invoice)


# -- 5. Non-destructive -------------------------------------------------------------------------------


def test_voiding_in_the_practice_leaves_the_xero_invoice_alone(sent, admin, sync_now, in_xero):
    admin.post(f"/invoices/{sent.id}/void")
    sync_now()
    assert xero_invoice(in_xero, link_of(sent).xero_invoice_id)["Status"] == "DRAFT"
    assert "Voided here only" in html(admin.get(f"/invoices/{sent.id}"))


def test_voiding_or_deleting_in_xero_leaves_the_practice_invoice_alone(invoicing, admin, sync_now, in_xero, in_xero_ui):
    approved, draft = raise_invoice(admin, invoicing), raise_invoice(admin, invoicing)
    sync_now()
    approve_in_xero(in_xero_ui, link_of(approved).xero_invoice_id)
    sync_now()
    in_xero.call("POST", f"Invoices/{link_of(approved).xero_invoice_id}", json={"Invoices": [{"Status": "VOIDED"}]})
    in_xero.call("POST", f"Invoices/{link_of(draft).xero_invoice_id}", json={"Invoices": [{"Status": "DELETED"}]})
    sync_now()
    db.session.expire_all()
    assert db.session.get(Invoice, approved.id).status == "awaiting_payment"
    assert db.session.get(Invoice, draft.id).status == "draft"
    assert "Voided in Xero" in html(admin.get(f"/invoices/{approved.id}"))
    assert "Deleted in Xero" in html(admin.get(f"/invoices/{draft.id}"))


# -- 6. Troubleshooting on the invoice page -------------------------------------------------------------


def test_disconnected_integration_says_reconnect(invoicing, admin, sync_now, xero_user, integrate):
    xero_user.disconnect_app()
    invoice = raise_invoice(admin, invoicing)
    sync_now()
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert "the integration is disconnected" in page and "Reconnect Xero Integration" in page
    integrate(first_sync=False)
    sync_now()
    assert link_of(invoice) is not None


def test_xero_validation_error_is_shown_on_the_invoice(invoicing, admin, colleague, sync_now, in_xero):
    invoice = raise_invoice(admin, invoicing)
    in_xero.update_contact(contact_id_of("Riverside Yoga Studio"), ContactStatus="ARCHIVED")
    sync_now()
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert "Xero refused this invoice: The contact &#39;Riverside Yoga Studio&#39; is archived" in page
    assert "Try again" in page
    in_xero.update_contact(contact_id_of("Riverside Yoga Studio"), ContactStatus="ACTIVE")
    # Retry is an admin's: staff see the refusal but no button, and the server refuses them
    assert "Try again" not in html(colleague.get(f"/invoices/{invoice.id}"))
    assert colleague.post(f"{XERO}/invoices/{invoice.id}/retry").status_code == 403
    sync_now()
    assert link_of(invoice) is None
    admin.post(f"{XERO}/invoices/{invoice.id}/retry")
    sync_now()
    assert link_of(invoice) is not None


def test_a_rate_xero_does_not_have_is_refused_with_a_clear_message(invoicing, admin, sync_now):
    invoice = raise_invoice(admin, invoicing, tax_rate="7")
    sync_now()
    assert "Xero has no sales tax rate of 7%" in html(admin.get(f"/invoices/{invoice.id}"))


def test_waiting_invoice_offers_sync_now(invoicing, admin):
    invoice = raise_invoice(admin, invoicing)
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert "on the next sync" in page and "Sync Now" in page


# -- 7. Efficiency ---------------------------------------------------------------------------------


def test_a_sync_with_nothing_changed_costs_two_xero_calls(invoicing, sync_now, sandbox):
    sync_now()
    sandbox.reset_stats()
    sync_now()
    stats = sandbox.stats()
    assert stats["calls"] == {"GET /api.xro/2.0/Contacts": 1, "GET /api.xro/2.0/Invoices": 1}, stats


def test_sixty_invoices_go_in_two_batches_each_with_a_saved_key(invoicing, sync_now, sandbox):
    for _ in range(60):
        services.create_invoice(invoicing, {"lines": [LINE]})
    db.session.commit()
    sandbox.reset_stats()
    sync_now()
    calls = sandbox.stats()["calls"]
    assert calls.pop("PUT /api.xro/2.0/Invoices") == 2
    assert calls == {"GET /api.xro/2.0/Contacts": 1, "GET /api.xro/2.0/Invoices": 1}
    batches = db.session.scalars(select(WriteBatch).where(WriteBatch.kind == "invoice-create")).all()
    assert sorted(len(b.object_ids) for b in batches) == [10, 50] and all(b.idempotency_key for b in batches)
    assert db.session.scalar(select(func.count()).select_from(InvoiceLink)) == 60


@pytest.mark.variants
def test_a_lost_answer_creates_no_duplicate_invoice(invoicing, admin, sync_now, sandbox, in_xero):
    invoice = raise_invoice(admin, invoicing)
    number = invoice.number
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Invoices", "commit_then_500": 1.0}])
    sync_now()  # Xero saved it but answered 500: read back by Reference within the run
    sandbox.set_faults()
    sync_now()
    mine = [i for i in sales_invoices(in_xero, contact_id_of("Riverside Yoga Studio")) if i.get("Reference") == number]
    assert len(mine) == 1 and link_of(invoice).xero_invoice_id == mine[0]["InvoiceID"]
    assert invoice_numbered(mine[0]["InvoiceNumber"]).id == invoice.id


@pytest.mark.parametrize("after_5xx", ["committed", "forget", "replay"])
def test_a_payment_saved_but_answered_500_is_matched_not_paid_twice(
        sent, admin, sync_now, sandbox, in_xero, in_xero_ui, after_5xx):
    sandbox.set_variants(idempotency_after_5xx=after_5xx)
    xero_id = link_of(sent).xero_invoice_id
    approve_in_xero(in_xero_ui, xero_id)
    admin.post(f"/invoices/{sent.id}/approve")
    admin.post(f"/invoices/{sent.id}/payments", {"date": "2026-11-24", "amount": "60.00", "reference": "Cheque 12"})
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Payments", "commit_then_500": 1.0}])
    sync_now()  # Xero recorded it but answered 500: matched by reading the invoice back
    sandbox.set_faults()
    sync_now()
    assert [p["Amount"] for p in xero_invoice(in_xero, xero_id)["Payments"]] == [60.0]
    assert db.session.scalar(select(func.count()).select_from(PaymentLink)) == 1


# -- 8. Two workers at once -------------------------------------------------------------------------


def test_two_workers_syncing_at_once_create_no_duplicate_invoice(invoicing, admin, app, in_xero, sandbox):
    from plugins.xero.jobs import sync_organisation

    invoice = raise_invoice(admin, invoicing)
    number = invoice.number
    db.session.commit()
    # A slow Xero keeps the first sync inside the lock; the second starts once Xero holds its call.
    sandbox.set_faults([{"endpoint": "GET /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": 3}])
    results = []

    def worker():
        with app.app_context():
            results.append(sync_organisation(trigger="manual"))
            db.session.remove()

    first = threading.Thread(target=worker)
    first.start()
    sandbox.wait_for_calls_in_flight(1)
    worker()
    first.join(timeout=60)

    states = sorted(db.session.scalar(select(SyncRun.state).where(SyncRun.id == run_id)) for run_id in results)
    assert states == ["finished", "skipped"]
    mine = [i for i in sales_invoices(in_xero, contact_id_of("Riverside Yoga Studio")) if i.get("Reference") == number]
    assert len(mine) == 1


# -- the invoice list's badges ---------------------------------------------------------------------


@contextmanager
def counted_queries():
    """The SQL statements run inside the block, as a list that fills as they run."""
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def badges_of(page, invoice):
    """The badge labels beside an invoice's number in the list."""
    row = page[page.index(f">{invoice.number}</a>"):]
    row = row[:row.index("</td>")]
    return [label for label in ("Not in Xero", "Draft in Xero", "Xero") if f">{label}</span>" in row]


def test_each_invoice_has_its_badge_and_the_page_costs_the_same_whatever_its_length(
        invoicing, admin, sync_now, make_client):
    sent = raise_invoice(admin, invoicing)
    sync_now()
    waiting = raise_invoice(admin, invoicing)
    unlinked = raise_invoice(admin, make_client(name="Not Linked Ltd"))
    with counted_queries() as few:
        page = html(admin.get("/invoices/"))
    assert badges_of(page, sent) == ["Draft in Xero", "Xero"]
    assert badges_of(page, waiting) == ["Not in Xero"] and badges_of(page, unlinked) == ["Not in Xero"]
    for _ in range(6):
        raise_invoice(admin, make_client())
    with counted_queries() as many:
        page = html(admin.get("/invoices/"))
    assert badges_of(page, sent) == ["Draft in Xero", "Xero"]
    assert len(many) == len(few), "the badges are read per page, not per invoice"
