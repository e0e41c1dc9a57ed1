"""Export: clients and invoices as CSV, as the list is searched and filtered, streamed, safe in a spreadsheet."""
import base64
import csv
import io
import tracemalloc

import pytest
from sqlalchemy import delete, event, insert, select

from bm import services
from bm.csvsafe import TRIGGERS, neutralise, restore
from bm.extensions import db
from bm.models import Client, HistoryEntry

from support import html

FORMULAS = ["=SUM(A1:A9)", "+44 20 7946 0000", "-2", "@SUM(1)", "\t=1", "\r=1", "'=HYPERLINK(\"x\")",
            "''+x", "plain", "'apostrophe first", ""]


def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("value", FORMULAS)
def test_cells_a_spreadsheet_would_run_are_neutralised_and_read_back_as_written(value):
    cell = neutralise(value)
    assert not cell.startswith(TRIGGERS)
    assert restore(cell) == value


def test_the_client_export_follows_the_lists_search_and_status(admin, make_client):
    make_client(name="Acme Ltd", reference="A1")
    services.set_client_archived(make_client(name="Acme Old", reference="A2"), True)
    make_client(name="Birch", reference="B1")
    db.session.commit()
    response = admin.get("/clients/export.csv?q=acme&status=all")
    assert response.headers["Content-Disposition"] == 'attachment; filename="clients.csv"'
    rows = read_csv(response)
    assert rows[0][:3] == ["Reference", "Type", "Name"]
    assert [row[:3] for row in rows[1:]] == [["A1", "business", "Acme Ltd"], ["A2", "business", "Acme Old"]]
    assert [row[0] for row in read_csv(admin.get("/clients/export.csv?q=acme"))[1:]] == ["A1"]
    assert "/clients/export.csv?q=acme&amp;status=all" in html(admin.get("/clients/?q=acme&status=all"))


def test_the_client_export_imports_back_unchanged(admin, make_client):
    make_client(name="=SUM(A1:A9)", email="sum@example.com", phone="+44 20 7946 0000", notes="-2\nline two, with a comma")
    make_client(name="@Home Ltd", address_line1='12 "Quoted" Road', city="Zürich", tax_number="'=already")
    make_client(kind="individual", first_name="Ann", last_name="O'Neil", name="", account_number="-100")
    db.session.commit()
    fields = Client.EDITABLE_FIELDS
    before = [tuple(getattr(c, f) for f in fields) for c in db.session.scalars(select(Client).order_by(Client.reference))]
    exported = admin.get("/clients/export.csv").get_data()

    db.session.execute(delete(HistoryEntry))
    db.session.execute(delete(Client))
    db.session.commit()
    preview = admin.post("/clients/import", {"file": (io.BytesIO(exported), "clients.csv")},
                         content_type="multipart/form-data")
    assert preview.status_code == 200, html(preview)
    assert "Ignored" not in html(preview)
    admin.post("/clients/import/confirm", {"payload": base64.b64encode(exported).decode()})
    db.session.expire_all()
    after = [tuple(getattr(c, f) for f in fields) for c in db.session.scalars(select(Client).order_by(Client.reference))]
    assert after == before


def test_the_invoice_export_follows_the_lists_client_and_status(admin, make_client, make_invoice):
    acme, birch = make_client(name="Acme Ltd"), make_client(name="Birch")
    draft = make_invoice(client=acme, reference="=cmd")
    approved = make_invoice(client=acme)
    services.approve_invoice(approved)
    services.record_payment(approved, {"amount": "20.00", "date": "2026-03-02"})
    make_invoice(client=birch)
    db.session.commit()
    rows = read_csv(admin.get(f"/invoices/export.csv?client_id={acme.id}"))
    assert rows[0] == ["Number", "Client reference", "Client", "Date", "Due date", "Reference", "Status",
                       "Subtotal", "Tax", "Total", "Paid", "Due"]
    assert sorted(row[0] for row in rows[1:]) == sorted([draft.number, approved.number])
    [paid_row] = read_csv(admin.get(f"/invoices/export.csv?client_id={acme.id}&status=awaiting_payment"))[1:]
    assert paid_row[1:3] == [acme.reference, "Acme Ltd"] and paid_row[6:] == [
        "Awaiting payment", "100.00", "20.00", "120.00", "20.00", "100.00"]
    [draft_row] = read_csv(admin.get(f"/invoices/export.csv?client_id={acme.id}&status=draft"))[1:]
    assert draft_row[5] == "'=cmd"


def test_a_bad_filter_exports_with_it_ignored(admin, make_client):
    make_client(name="Acme Ltd")
    assert len(read_csv(admin.get("/clients/export.csv?status=nonsense"))) == 2
    assert len(read_csv(admin.get("/invoices/export.csv?client_id=abc&status=nonsense"))) == 1


def seed_clients(count, start=0):
    rows = [{"reference": f"X{i:06d}", "name": f"Client {i:06d}", "email": f"client{i}@example.com",
             "phone": "0113 496 0000", "city": "Leeds", "notes": "Year end March"} for i in range(start, start + count)]
    for first in range(0, count, 10_000):
        db.session.execute(insert(Client), rows[first:first + 10_000])
    db.session.commit()


def export_peak(admin):
    """``(rows, peak traced bytes)`` while streaming the whole client export."""
    tracemalloc.start()
    response = admin.client.get("/clients/export.csv?status=all", buffered=False)
    rows = sum(chunk.count(b"\r\n") for chunk in response.iter_encoded()) - 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    response.close()
    return rows, peak


def test_the_export_streams_100000_rows_in_chunks_with_flat_memory(admin, app):
    cursors = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def remember(_connection, cursor, statement, *_args):
        if "FROM clients" in statement:
            cursors.append(type(cursor).__name__)

    seed_clients(10_000)
    small_rows, small_peak = export_peak(admin)
    seed_clients(90_000, start=10_000)
    large_rows, large_peak = export_peak(admin)
    event.remove(db.engine, "before_cursor_execute", remember)
    print(f"\nexport memory: {small_rows} rows peak {small_peak / 2**20:.1f} MiB traced; "
          f"{large_rows} rows peak {large_peak / 2**20:.1f} MiB traced (ratio {large_peak / small_peak:.2f})")
    assert (small_rows, large_rows) == (10_000, 100_000)
    # Holding every row would make the peak grow tenfold with the rows; streaming keeps it flat.
    assert large_peak < 1.5 * small_peak
    if db.engine.dialect.name == "postgresql":
        assert cursors and set(cursors) == {"ServerCursor"}  # psycopg fetches in chunks, not all at once
