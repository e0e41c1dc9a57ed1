"""Preview sync: what the next sync would change, writing nothing anywhere; against the sandbox over HTTP."""
import dataclasses
import re

from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.models import Invoice
from plugins.xero.connection import active_connection
from plugins.xero.models import WriteBatch, XeroConnection
from plugins.xero.oauth import client_for
from plugins.xero.sync import invoices as invoice_sync
from plugins.xero.sync.preview import preview_sync

from .support import client_named, contact_id_of, contact_of, html
from .test_invoice_sync import (approve_in_xero, edit_invoice, enable_invoice_sync, in_xero_ui, integrated_no_clients,  # noqa: F401 (fixtures)
                                invoice_numbered, invoicing, link_of, pay_in_xero, raise_invoice, riverside, sent)

XERO = "/tools/integrations/xero"


def database_dump():
    """Every row of every table, as sorted text: equal dumps mean nothing was written."""
    db.session.commit()
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(table.select()))
            for table in db.metadata.sorted_tables}


def merge(admin, contact_name, client_name, use="xero"):
    client = client_named(client_name)
    admin.post(f"{XERO}/contacts/{contact_id_of(contact_name)}/merge", {"client_id": client.id, "use": use})


def preview(admin, queues):
    """Click Preview sync, let a worker work it out, return the preview page."""
    started = admin.post(f"{XERO}/preview")
    assert started.status_code == 302, html(started)[:500]
    queues()
    return html(admin.get(started.headers["Location"]))


def section(page, section_id):
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def test_preview_lists_what_the_next_sync_would_do_and_writes_nothing(
        integrated, admin, sync_now, queues, in_xero, sandbox):
    merge(admin, "Northwind Traders", "Northwind Traders LLP")
    merge(admin, "Patel and Sons Ltd", "Patel & Sons Limited")
    admin.post(f"{XERO}/contacts/{contact_id_of('Riverside Yoga Studio')}/create")
    assert enable_invoice_sync(admin, in_xero).status_code == 302
    sync_now()
    northwind, patel = client_named("Northwind Traders"), client_named("Patel and Sons Ltd")
    riverside = client_named("Riverside Yoga Studio")
    services.update_client(northwind, {"email": "billing@northwind.example.com"})  # practice -> Xero
    db.session.commit()
    in_xero.update_contact(contact_of(patel), Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "0161 000 1111"}])
    services.update_client(riverside, {"city": "Leeds"})
    db.session.commit()
    in_xero.update_contact(contact_of(riverside), Addresses=[{"AddressType": "POBOX", "City": "York"}])  # newer: wins
    admin.post("/clients/new", {"name": "Fresh Start Bakery"})
    waiting = raise_invoice(admin, riverside)
    raised = in_xero.raise_invoice(contact_of(riverside), amount="80.00")

    before = database_dump()
    sandbox.reset_stats()
    page = preview(admin, queues)
    stats = sandbox.stats()
    assert stats["calls"] and all(key.startswith("GET ") for key in stats["calls"]), stats
    assert stats["calls"] == {"GET /api.xro/2.0/Contacts": 1, "GET /api.xro/2.0/Invoices": 1}, stats
    assert database_dump() == before

    assert "Fresh Start Bakery" in section(page, "preview-new-clients")
    pairs = section(page, "preview-pairs")
    assert re.search(r"Northwind Traders</a></td><td>Email</td>\s*<td>billing@northwind.example.com</td>.*?"
                     r"<td>BrightManager → Xero", pairs, re.S)
    assert re.search(r"Patel and Sons Ltd</a></td><td>Phone</td>.*?<td>0161 000 1111</td>\s*<td>Xero → BrightManager",
                     pairs, re.S)
    assert re.search(r"Riverside Yoga Studio</a></td><td>City</td>\s*<td>Leeds</td>\s*<td>York</td>\s*"
                     r"<td>Xero → BrightManager <span class=\"badge badge-warning\">Conflict: Xero's newer change wins",
                     pairs, re.S)
    invoices = section(page, "preview-invoices")
    assert f"{raised['InvoiceNumber']}</strong>\n      for Riverside Yoga Studio:\n      would be brought in" in invoices
    assert f"{waiting.number}</a> for Riverside Yoga Studio (360.00):\n      would be added to Xero as a draft" in invoices
    assert "2 Xero calls" in page

    # ... and the sync then does just that.
    sync_now()
    assert client_named("Northwind Traders").email == "billing@northwind.example.com"
    assert in_xero.contact_named("Northwind Traders")["EmailAddress"] == "billing@northwind.example.com"
    assert client_named("Patel and Sons Ltd").phone == "0161 000 1111"
    assert client_named("Riverside Yoga Studio").city == "York"
    assert in_xero.contact_named("Fresh Start Bakery") is not None
    assert db.session.scalar(select(Invoice).where(Invoice.number == raised["InvoiceNumber"])) is not None
    assert "the next sync would change nothing" in preview(admin, queues)


def test_preview_after_a_quiet_period_costs_two_calls_and_changes_nothing(integrated, admin, sync_now, queues, sandbox):
    sync_now()
    watermark = db.session.scalar(select(XeroConnection.contacts_modified_since))
    sandbox.reset_stats()
    page = preview(admin, queues)
    assert "the next sync would change nothing" in page
    assert sum(sandbox.stats()["calls"].values()) == 2
    db.session.expire_all()
    assert db.session.scalar(select(XeroConnection.contacts_modified_since)) == watermark


def test_preview_shows_a_progress_bar_until_it_is_ready(integrated, admin, queues):
    started = admin.post(f"{XERO}/preview")
    polling = admin.get(started.headers["Location"], headers={"HX-Request": "true"})
    assert polling.status_code == 200
    assert 'hx-trigger="every 1s"' in html(polling) and "<progress" in html(polling) and "<html" not in html(polling)
    queues()
    done = admin.get(started.headers["Location"], headers={"HX-Request": "true"})
    assert done.status_code == 286 and "preview-new-clients" in html(done)


def test_preview_sync_button_and_history_link_are_on_the_xero_page(integrated, admin):
    page = html(admin.get(f"{XERO}/"))
    assert "Preview sync</button>" in page and f'href="{XERO}/history"' in page


def test_preview_of_an_unknown_job_is_not_found(integrated, admin):
    assert admin.get(f"{XERO}/preview/xero-preview-nothing").status_code == 404
    assert admin.get(f"{XERO}/preview/some-other-job").status_code == 404


def test_preview_is_refused_while_disconnected(integrated, admin, xero_user, sync_now, sandbox):
    xero_user.disconnect_app()
    sync_now()
    sandbox.reset_stats()
    response = admin.post(f"{XERO}/preview")
    assert response.headers["Location"].endswith(f"{XERO}/")
    assert sandbox.stats()["total_calls"] == 0


def test_preview_names_each_invoice_change_payment_outcome_and_pending_batch(
        invoicing, admin, sync_now, in_xero, sandbox):
    contact = contact_id_of("Riverside Yoga Studio")
    approved = in_xero.raise_invoice(contact, "80.00")
    draft = in_xero.raise_invoice(contact, "50.00", status="DRAFT")
    sent, revised = raise_invoice(admin, invoicing), raise_invoice(admin, invoicing)
    sync_now()
    edit_invoice(admin, revised, "Year-end accounts, revised", "99.00")
    in_xero.call("POST", f"Invoices/{draft['InvoiceID']}", json={"Invoices": [{
        "Date": "2026-11-02", "DueDate": "2026-12-02", "Reference": "PO 77"}]})
    admin.post(f"/invoices/{sent.id}/approve")
    admin.post(f"/invoices/{sent.id}/payments", {"date": "2026-11-24", "amount": "60.00", "reference": "Cheque 12"})
    imported = invoice_numbered(approved["InvoiceNumber"])
    admin.post(f"/invoices/{imported.id}/payments", {"date": "2026-11-25", "amount": "10.00", "reference": ""})
    in_xero.update_contact(contact, EmailAddress="xero@riverside.example.com")
    services.update_client(invoicing, {"email": "practice@riverside.example.com"})  # the newer edit: it wins
    db.session.commit()
    unsent = raise_invoice(admin, invoicing)
    admin.post(f"/invoices/{unsent.id}/approve")
    admin.post(f"/invoices/{unsent.id}/payments", {"date": "2026-11-26", "amount": "25.00", "reference": ""})
    for number in (1, 2):
        db.session.add(WriteBatch(tenant_id=active_connection().tenant_id, kind="contact-create", method="PUT",
                                  idempotency_key=f"bm-pending-{number}", body={}, object_ids=[]))
    db.session.commit()

    phases = []
    sandbox.reset_stats()
    xero = client_for(active_connection())
    xero.calls = 7  # what the client had made before counts no more than the preview's own
    result = preview_sync(xero, active_connection(), lambda phase, percent: phases.append((phase, percent)))

    assert result["calls"] == sum(sandbox.stats()["calls"].values()) == 2
    assert phases == [("Reading contacts changed in Xero", 10), ("Comparing linked clients", 40),
                      ("Reading invoices changed in Xero", 60), ("Comparing invoices", 75),
                      ("Reading the outbox", 90), ("Done", 100)]
    assert [(pair["client"], pair["conflicts"]) for pair in result["pairs"]] == [
        ("Riverside Yoga Studio", [{"field": "Email", "winner": "practice"}])]
    here = invoice_numbered(draft["InvoiceNumber"])
    edited = next(row for row in result["invoices_in"] if row["number"] == draft["InvoiceNumber"])
    assert edited["action"] == "update" and edited["changes"] == [
        {"field": "Date", "before": here.date.isoformat(), "after": "2026-11-02"},
        {"field": "Due date", "before": here.due_date.isoformat(), "after": "2026-12-02"},
        {"field": "Reference", "before": "", "after": "PO 77"}]
    assert {row["invoice"]: (row["outcome"], row["sent"]) for row in result["payments_out"]} == {
        sent.number: ("waits for the invoice to be approved in Xero", False),
        imported.number: ("would be sent to Xero", True),
        unsent.number: ("waits: the invoice is not in Xero yet", False)}
    assert [(row["action"], row["number"], row["summary"]) for row in result["invoices_out"]] == [
        ("update", revised.number, "1 line: Year-end accounts, revised 1 × 99.00 @ 20%"),
        ("create", unsent.number, "1 line: Year-end accounts 2 × 150.00 @ 20%")]
    assert "2 interrupted batches would be settled first (what reached Xero is linked, the rest sent again)." \
        in result["notes"]


def test_preview_brings_in_no_invoice_xero_had_before_invoice_sync_was_enabled(riverside, admin, in_xero):
    before = in_xero.raise_invoice(contact_id_of("Riverside Yoga Studio"), "75.00", status="DRAFT")
    enable_invoice_sync(admin, in_xero)
    in_xero.call("POST", f"Invoices/{before['InvoiceID']}", json={"Invoices": [{"Reference": "edited later"}]})
    after = in_xero.raise_invoice(contact_id_of("Riverside Yoga Studio"), "90.00")

    result = preview_sync(client_for(active_connection()), active_connection())

    assert [(row["action"], row["number"]) for row in result["invoices_in"]] == [("import", after["InvoiceNumber"])]


def test_preview_reads_contacts_archived_in_xero_as_the_sync_does(integrated, admin, sync_now, in_xero):
    merge(admin, "Northwind Traders", "Northwind Traders LLP")
    sync_now()
    in_xero.update_contact(contact_id_of("Northwind Traders"), ContactStatus="ARCHIVED",
                           EmailAddress="closed@northwind.example.com")

    result = preview_sync(client_for(active_connection()), active_connection())

    assert result["contacts_read"] == 1
    assert [(pair["client"], [change["xero"] for change in pair["to_practice"]]) for pair in result["pairs"]] == [
        ("Northwind Traders", ["closed@northwind.example.com"])]


def test_preview_recognises_our_invoice_whose_answer_was_lost(invoicing, admin, sync_now, sandbox, monkeypatch):
    invoice = raise_invoice(admin, invoicing)
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Invoices", "commit_then_500": 1.0}])

    def killed(*args, **kwargs):  # the worker stops before it reads back what Xero saved
        raise RuntimeError("worker stopped")

    monkeypatch.setattr(invoice_sync, "NEW_INVOICES", dataclasses.replace(invoice_sync.NEW_INVOICES, read_back=killed))
    sync_now()
    sandbox.set_faults()
    assert link_of(invoice) is None

    result = preview_sync(client_for(active_connection()), active_connection())

    assert [(row["action"], row["invoice_id"]) for row in result["invoices_in"]] == [("recognised", invoice.id)]


def test_preview_names_the_payments_an_invoice_raised_and_paid_in_xero_would_bring(
        invoicing, in_xero, in_xero_ui):
    raised = in_xero.raise_invoice(contact_id_of("Riverside Yoga Studio"), "80.00")
    pay_in_xero(in_xero_ui, in_xero, raised["InvoiceID"], "30.00")

    result = preview_sync(client_for(active_connection()), active_connection())

    imported = next(row for row in result["invoices_in"] if row["number"] == raised["InvoiceNumber"])
    assert imported["action"] == "import" and len(imported["payments"]) == 1
    assert "30.00" in imported["payments"][0] and "not recorded" not in imported["payments"][0]


def test_preview_of_a_draft_edited_approved_and_paid_in_xero_names_its_payment(sent, in_xero, in_xero_ui):
    xero_id = link_of(sent).xero_invoice_id
    in_xero.call("POST", f"Invoices/{xero_id}", json={"Invoices": [{"LineItems": [
        {"Description": "Year-end accounts, agreed fee", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200",
         "TaxType": "OUTPUT2"}]}]})
    approve_in_xero(in_xero_ui, xero_id)
    pay_in_xero(in_xero_ui, in_xero, xero_id, "120.00")

    result = preview_sync(client_for(active_connection()), active_connection())

    row = next(row for row in result["invoices_in"] if row["invoice_id"] == sent.id)
    assert row["action"] == "update" and len(row["payments"]) == 1
    assert "120.00" in row["payments"][0] and "not recorded" not in row["payments"][0]
