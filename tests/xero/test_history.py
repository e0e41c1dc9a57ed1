"""Sync history: every run, every field change the sync makes (before, after, which side), filterable, kept
for a configurable time; against the sandbox over HTTP.
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.models import PracticeSettings, utcnow
from plugins.xero import history
from plugins.xero.models import FieldChange, SyncRun

from tests.support import history_rows

from .support import client_named, contact_id_of, contact_of, html
from .test_invoice_sync import approve_in_xero, enable_invoice_sync, in_xero_ui, link_of, pay_in_xero, raise_invoice  # noqa: F401

XERO = "/tools/integrations/xero"


def changes_of(kind, record_id):
    db.session.expire_all()
    return db.session.scalars(select(FieldChange).where(FieldChange.record_kind == kind,
                                                        FieldChange.record_id == record_id).order_by(FieldChange.id)).all()


@pytest.fixture
def northwind(integrated, admin):
    """Northwind Traders, merged with Xero's data (so both sides agree)."""
    client = client_named("Northwind Traders LLP")
    admin.post(f"{XERO}/contacts/{contact_id_of('Northwind Traders')}/merge", {"client_id": client.id, "use": "xero"})
    return client_named("Northwind Traders")


def test_history_shows_each_field_change_with_its_side(northwind, admin, sync_now, in_xero):
    old_email = northwind.email
    admin.post(f"/clients/{northwind.id}/edit", {**northwind.as_dict(), "version": northwind.version,
                                                 "email": "billing@northwind.example.com"})
    sync_now()
    in_xero.update_contact(contact_of(northwind), Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "020 7946 0999"}])
    old_phone = client_named("Northwind Traders").phone
    sync_now()

    rows = [(c.field, c.before, c.after, c.source, c.conflict) for c in changes_of("client", northwind.id)]
    assert rows == [("email", old_email, "billing@northwind.example.com", "practice", False),
                    ("phone", old_phone, "020 7946 0999", "xero", False)]
    assert all(c.run_id for c in changes_of("client", northwind.id))

    # The client's one history has both: the user's edit and the sync's change, each with who made it.
    page = html(admin.get(f"/clients/{northwind.id}"))
    assert history_rows(page)[:2] == [("Xero sync", "Phone", old_phone, "020 7946 0999"),
                                      ("admin@example.com", "Email", old_email, "billing@northwind.example.com")]
    # The sync's own log, both sides, is one click away in the Xero Contact menu.
    assert f"{XERO}/history/changes?kind=client&amp;record_id={northwind.id}" in page
    synced = html(admin.get(f"{XERO}/history/changes?kind=client&record_id={northwind.id}"))
    assert "<td>Xero" in synced and "<td>BrightManager" in synced

    only_xero = html(admin.get(f"{XERO}/history/changes?kind=client&record_id={northwind.id}&side=xero"))
    assert "020 7946 0999" in only_xero and "billing@northwind.example.com" not in only_xero
    by_field = html(admin.get(f"{XERO}/history/changes?field=email&record=northwind"))
    assert "billing@northwind.example.com" in by_field and "020 7946 0999" not in by_field


def test_conflict_is_recorded_on_the_winning_change(northwind, admin, sync_now, in_xero):
    services.update_client(northwind, {"email": "practice@northwind.example.com"})
    db.session.commit()
    in_xero.update_contact(contact_of(northwind), EmailAddress="xero@northwind.example.com")  # later: Xero wins
    sync_now()
    [change] = changes_of("client", northwind.id)
    assert (change.field, change.before, change.after, change.source, change.conflict) == (
        "email", "practice@northwind.example.com", "xero@northwind.example.com", "xero", True)
    assert "Conflict" in html(admin.get(f"{XERO}/history/changes?kind=client&record_id={northwind.id}"))
    conflicts = html(admin.get(f"{XERO}/history/changes?conflict=1"))
    assert "xero@northwind.example.com" in conflicts
    runs = html(admin.get(f"{XERO}/history?q=changed in both"))
    assert "1 conflict" in runs and "email changed in both systems" in runs


def test_merge_with_practice_data_is_recorded_when_the_sync_writes_it(integrated, admin, sync_now):
    client = client_named("Harbour View Cafe Ltd")
    admin.post(f"{XERO}/contacts/{contact_id_of('Harbour View Café Limited')}/merge",
               {"client_id": client.id, "use": "practice"})
    sync_now()
    written = {c.field: (c.before, c.after) for c in changes_of("client", client.id) if c.source == "practice"}
    assert written["name"] == ("Harbour View Café Limited", "Harbour View Cafe Ltd")


def test_new_client_added_to_xero_is_recorded(integrated, admin, sync_now):
    admin.post("/clients/new", {"name": "Fresh Start Bakery"})
    sync_now()
    [change] = changes_of("client", client_named("Fresh Start Bakery").id)
    assert (change.field, change.after, change.source) == ("xero_contact", "created as Fresh Start Bakery", "practice")


def test_invoice_history_records_number_status_amounts_and_payments(integrated, admin, sync_now, in_xero, in_xero_ui):
    admin.post(f"{XERO}/contacts/{contact_id_of('Riverside Yoga Studio')}/create")
    client = client_named("Riverside Yoga Studio")
    assert enable_invoice_sync(admin, in_xero).status_code == 302
    invoice = raise_invoice(admin, client)
    practice_number = invoice.number
    sync_now()
    xero_id = link_of(invoice).xero_invoice_id
    approve_in_xero(in_xero_ui, xero_id)
    pay_in_xero(in_xero_ui, in_xero, xero_id, "100.00")
    sync_now()
    rows = [(c.field, c.before, c.after, c.source) for c in changes_of("invoice", invoice.id)]
    number = db.session.get(type(invoice), invoice.id).number
    assert ("xero_invoice", "", f"added to Xero as {number}", "practice") in rows
    assert ("number", practice_number, number, "xero") in rows
    assert ("xero_status", "DRAFT", "AUTHORISED", "xero") in rows
    assert ("status", "draft", "awaiting_payment", "xero") in rows
    assert ("payment", "", "100.00 on 2026-11-25 (BACS)", "xero") in rows
    page = html(admin.get(f"/invoices/{invoice.id}"))
    rows = history_rows(page)
    assert ("Xero sync", "Payment", "", "100.00 on 2026-11-25 (BACS)") in rows
    assert ("Xero sync", "Status", "Draft", "Awaiting payment") in rows
    assert ("Xero sync", "Number", practice_number, number) in rows
    assert "AUTHORISED" in html(admin.get(f"{XERO}/history/changes?kind=invoice&record_id={invoice.id}"))

    raised = in_xero.raise_invoice(contact_of(client), amount="50.00")
    sync_now()
    imported = db.session.scalar(select(type(invoice)).where(type(invoice).number == raised["InvoiceNumber"]))
    [brought] = changes_of("invoice", imported.id)
    assert brought.source == "xero" and brought.after == f"brought in from Xero as {raised['InvoiceNumber']} (60.00)"


def test_invoice_lines_change_is_summarised_with_the_total(app):
    with app.test_request_context():
        history.record_changes(None, "invoice", 1, {"lines": (
            [{"description": "Accounts", "quantity": 2, "unit_price": "150.00", "tax_rate": 20}],
            [{"description": "Accounts", "quantity": 3, "unit_price": "150.00", "tax_rate": 20}])}, "xero")
        rows = [(c.field, c.before, c.after) for c in db.session.new]
    assert ("lines", "1 line: Accounts 2 × 150.00 @ 20%", "1 line: Accounts 3 × 150.00 @ 20%") in rows
    assert ("total", "360.00", "540.00") in rows


def test_history_lists_every_run_with_its_counts_and_is_filterable(northwind, admin, sync_now, sandbox):
    sync_now()
    sandbox.set_faults([{"endpoint": "GET /api.xro/2.0/Contacts", "error_500": 1.0}])
    sync_now()
    sandbox.set_faults()
    db.session.expire_all()
    runs = db.session.scalars(select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.state for r in runs][-1] == "failed"
    page = html(admin.get(f"{XERO}/history"))
    assert page.count('href="/tools/integrations/xero/history/runs/') == len(runs)
    assert "Sync finished" in page and "Failed" in page and "first" in page
    failed = html(admin.get(f"{XERO}/history?state=failed"))
    assert failed.count("/history/runs/") == 1
    partial = admin.get(f"{XERO}/history?state=finished", headers={"HX-Request": "true"})
    assert "<html" not in html(partial) and "HX-Request" in partial.headers["Vary"]
    assert html(partial).count("/history/runs/") == len(runs) - 1
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert "No sync matches" in html(admin.get(f"{XERO}/history?since={tomorrow}"))
    assert html(admin.get(f"{XERO}/history?until={tomorrow}")).count("/history/runs/") == len(runs)
    detail = html(admin.get(f"{XERO}/history/runs/{runs[0].id}"))
    assert "Contacts pulled" in detail


def test_history_is_filterable_and_pruned_after_retention(northwind, admin, sync_now, in_xero, app):
    in_xero.update_contact(contact_of(northwind), EmailAddress="new@northwind.example.com")
    sync_now()
    assert html(admin.get(f"{XERO}/history?q=nobody-mentions-this")).count("/history/runs/") == 0
    # The one retention setting is the practice's (Settings), for this history and the core's.
    assert 'href="/tools/settings"' in html(admin.get(f"{XERO}/settings"))
    form = {"invoice_prefix": "BM-", "invoice_next_number": "1", "payment_terms_days": "14", "history_days": "0"}
    assert "from 1 to 3650" in html(admin.post("/tools/settings", form))
    assert admin.post("/tools/settings", {**form, "history_days": "30"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PracticeSettings, 1).history_days == 30

    # Age everything but the newest run past the retention.
    newest = db.session.scalar(select(func.max(SyncRun.id)))
    old = utcnow() - timedelta(days=31)
    db.session.execute(SyncRun.__table__.update().where(SyncRun.id != newest).values(queued_at=old))
    db.session.execute(FieldChange.__table__.update().values(changed_at=old))
    db.session.add(FieldChange(record_kind="client", record_id=northwind.id, field="email", before="a", after="b",
                               source="xero", changed_at=utcnow()))
    db.session.commit()
    runs_before = db.session.scalar(select(func.count()).select_from(SyncRun))
    assert runs_before > 1

    assert history.prune_history() == (runs_before - 1, 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 1
    assert [(c.before, c.after) for c in changes_of("client", northwind.id)] == [("a", "b")]


def test_history_prune_is_a_periodic_job(app):
    from bm.plugins import current_plugins

    with app.test_request_context():
        jobs = {job.name: job for job in current_plugins().collect("periodic_jobs")}
    assert jobs["xero-history-prune"].func is history.prune_history


def test_history_pages_need_a_connection(admin):
    assert admin.get(f"{XERO}/history").status_code == 404
    assert admin.get(f"{XERO}/history/changes").status_code == 404
