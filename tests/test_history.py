"""Who changed what: each client's and invoice's history, written by the services with the change."""
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bm import history, services
from bm.extensions import db
from bm.jobs import redis_connection
from bm.worker import enqueue_due_periodic_jobs
from bm.models import HistoryEntry, PracticeSettings, User, utcnow

from support import client_named, history_rows, html


def entries(kind, record_id):
    db.session.expire_all()
    return [(e.actor, e.field, e.before, e.after) for e in db.session.scalars(
        select(HistoryEntry).where(HistoryEntry.record_kind == kind, HistoryEntry.record_id == record_id)
        .order_by(HistoryEntry.id))]


def client_form(client, **changes):
    return {**{k: ("" if v is None else v) for k, v in client.as_dict().items()}, "version": client.version, **changes}


def test_a_users_edits_to_a_client_are_recorded_with_who_and_each_field(admin):
    admin.post("/clients/new", {"name": "Acme Ltd", "email": "old@acme.example.com"})
    client = client_named("Acme Ltd")
    admin.post(f"/clients/{client.id}/edit", client_form(client, email="new@acme.example.com", city="Leeds"))
    admin.post(f"/clients/{client.id}/archive")
    assert entries("client", client.id) == [
        ("admin@example.com", "created", "", "Acme Ltd"),
        ("admin@example.com", "email", "old@acme.example.com", "new@acme.example.com"),
        ("admin@example.com", "city", "", "Leeds"),
        ("admin@example.com", "archived", "No", "Yes"),
    ]
    page = html(admin.get(f"/clients/{client.id}"))
    assert history_rows(page) == [("admin@example.com", "Archived", "No", "Yes"),
                                  ("admin@example.com", "City", "", "Leeds"),
                                  ("admin@example.com", "Email", "old@acme.example.com", "new@acme.example.com"),
                                  ("admin@example.com", "Created", "", "Acme Ltd")]


def test_the_history_names_the_user_by_name_and_other_actors_by_label(app, make_client):
    user = services.create_user("ann@example.com", "secret-password", name="Ann Smith")
    client = make_client(name="Birch & Co")
    services.update_client(client, {"phone": "0113 496 0000"}, actor=user)
    services.update_client(client, {"phone": "0113 496 0001"}, source="xero", actor="Xero sync")
    services.update_client(client, {"phone": "0113 496 0002"})
    db.session.commit()
    assert entries("client", client.id)[1:] == [
        ("Ann Smith", "phone", "", "0113 496 0000"),
        ("Xero sync", "phone", "0113 496 0000", "0113 496 0001"),
        ("System", "phone", "0113 496 0001", "0113 496 0002"),
    ]
    assert db.session.scalars(select(HistoryEntry.user_id).where(HistoryEntry.actor == "Ann Smith")).all() == [user.id]


def test_an_invoices_life_is_recorded_lines_summarised_with_the_total(admin, make_client):
    client = make_client(name="Cedar Dental")
    admin.post("/invoices/new", {"client_id": client.id, "date": "2026-03-01", "lines-0-description": "Accounts",
                                 "lines-0-quantity": "2", "lines-0-unit_price": "150", "lines-0-tax_rate": "20"})
    invoice = client.invoices.first()
    admin.post(f"/invoices/{invoice.id}/edit", {"version": invoice.version, "date": "2026-03-01",
                                                 "due_date": "2026-03-15", "reference": "",
                                                 "lines-0-description": "Accounts", "lines-0-quantity": "3",
                                                 "lines-0-unit_price": "150", "lines-0-tax_rate": "20"})
    admin.post(f"/invoices/{invoice.id}/approve")
    admin.post(f"/invoices/{invoice.id}/payments", {"date": "2026-03-20", "amount": "540.00", "reference": "BACS"})
    rows = entries("invoice", invoice.id)
    assert rows[0] == ("admin@example.com", "created", "", f"{invoice.number} for Cedar Dental, total 360.00")
    assert rows[1:] == [
        ("admin@example.com", "lines", "1 line: Accounts 2 × 150.00 @ 20%", "1 line: Accounts 3 × 150.00 @ 20%"),
        ("admin@example.com", "total", "360.00", "540.00"),
        ("admin@example.com", "status", "Draft", "Awaiting payment"),
        ("admin@example.com", "payment", "", "540.00 on 2026-03-20 (BACS)"),
        ("admin@example.com", "status", "Awaiting payment", "Paid"),
    ]
    assert ("admin@example.com", "Payment", "", "540.00 on 2026-03-20 (BACS)") in history_rows(
        html(admin.get(f"/invoices/{invoice.id}")))


def test_voiding_is_recorded(admin, make_invoice):
    invoice = make_invoice()
    admin.post(f"/invoices/{invoice.id}/void")
    assert entries("invoice", invoice.id)[-1] == ("admin@example.com", "status", "Draft", "Void")


def test_an_import_records_each_client_as_created_by_the_importer(admin):
    csv = b"Name,Email\nDelta Farms,farm@delta.example.com\nEcho Studio,\n"
    preview = html(admin.post("/clients/import", {"file": (io.BytesIO(csv), "clients.csv")},
                              content_type="multipart/form-data"))
    payload = preview.split('name="payload" value="')[1].split('"')[0]
    admin.post("/clients/import/confirm", {"payload": payload})
    assert entries("client", client_named("Echo Studio").id) == [("admin@example.com", "created", "", "Echo Studio (imported)")]


def test_a_refused_or_rolled_back_change_leaves_no_history(admin, make_client):
    client = make_client(name="Fir Tree Nursery")
    before = entries("client", client.id)
    response = admin.post(f"/clients/{client.id}/edit", client_form(client, email="not an email"))
    assert response.status_code == 400
    stale = admin.post(f"/clients/{client.id}/edit", client_form(client, phone="1", version=client.version - 1))
    assert stale.status_code == 400
    services.update_client(client, {"phone": "0800 000 000"}, actor="Xero sync")
    db.session.rollback()  # the change and its history go together
    assert entries("client", client.id) == before
    assert client_named("Fir Tree Nursery").phone == ""


def test_the_full_history_filters_by_field_who_and_dates(admin, make_client):
    client = make_client(name="Glen Holdings")
    services.update_client(client, {"email": "a@glen.example.com"}, actor="Xero sync")
    admin.post(f"/clients/{client.id}/edit", client_form(client_named("Glen Holdings"), phone="0200"))
    admin_id = db.session.scalar(select(User.id))
    url = f"/clients/{client.id}/history"
    page = html(admin.get(url))
    assert [row[:2] for row in history_rows(page)] == [("admin@example.com", "Phone"), ("Xero sync", "Email"),
                                                      ("System", "Created")]
    assert '<option value="Xero sync"' in page and f'<option value="user:{admin_id}"' in page
    assert [r[1] for r in history_rows(html(admin.get(f"{url}?field=email")))] == ["Email"]
    assert [r[0] for r in history_rows(html(admin.get(f"{url}?who=Xero+sync")))] == ["Xero sync"]
    assert [r[0] for r in history_rows(html(admin.get(f"{url}?who=user:{admin_id}")))] == ["admin@example.com"]
    later = (utcnow() + timedelta(days=3)).date().isoformat()
    assert "No change matches" in html(admin.get(f"{url}?since={later}"))
    assert len(history_rows(html(admin.get(f"{url}?until={later}")))) == 3
    partial = admin.get(f"{url}?field=phone", headers={"HX-Request": "true"})
    assert "<html" not in html(partial) and "HX-Request" in partial.headers["Vary"]
    assert [r[1] for r in history_rows(html(partial))] == ["Phone"]


@pytest.mark.parametrize("query", ["since=yesterday", "until=2026-13-45", "who=user:abc", "field=nonsense", "page=-3"])
def test_bad_filters_are_ignored_not_a_500(admin, make_client, query):
    client = make_client()
    assert admin.get(f"/clients/{client.id}/history?{query}").status_code == 200


def test_history_of_a_missing_record_is_404(admin):
    assert admin.get("/clients/999/history").status_code == 404
    assert admin.get("/invoices/999/history").status_code == 404


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_TIMEZONE": "Pacific/Auckland"}


def test_date_filters_are_days_in_the_practice_zone(admin, make_client):
    client = make_client(name="Harbour Lights")
    entry = db.session.scalar(select(HistoryEntry).where(HistoryEntry.record_id == client.id))
    entry.changed_at = datetime(2026, 3, 1, 20, 0)  # UTC: 2 March 09:00 in Auckland
    db.session.commit()
    url = f"/clients/{client.id}/history"
    assert len(history_rows(html(admin.get(f"{url}?since=2026-03-02&until=2026-03-02")))) == 1
    assert "No change matches" in html(admin.get(f"{url}?since=2026-03-01&until=2026-03-01"))


def test_entries_older_than_the_retention_setting_are_pruned(admin, make_client):
    form = {"invoice_prefix": "BM-", "invoice_next_number": "1", "payment_terms_days": "14", "history_days": "30"}
    assert admin.post("/tools/settings", form).status_code == 302
    assert db.session.get(PracticeSettings, 1).history_days == 30
    old, young = make_client(name="Old Co"), make_client(name="Young Co")
    db.session.execute(HistoryEntry.__table__.update().where(HistoryEntry.record_id == old.id)
                       .values(changed_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert history.prune() == 1
    assert entries("client", old.id) == [] and len(entries("client", young.id)) == 1


def test_pruning_is_a_periodic_job_of_the_core(app):
    connection = redis_connection(app)
    connection.delete("bm:periodic:history-prune")
    enqueue_due_periodic_jobs(app)
    from rq import Queue

    queued = [job.func_name for job in Queue("default", connection=connection).jobs]
    assert "bm.history.prune" in queued
