"""Invoice numbers: from the practice sequence, gapless, and safe when raised at the same instant."""
import threading

import pytest
from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.models import Client, Invoice, PracticeSettings

THREADS = 8
LINES = {"lines": [{"description": "Work", "quantity": "1", "unit_price": "10", "tax_rate": "0"}]}


def raise_invoices_at_once(app, client_id, count):
    """Each thread raises one invoice in its own app context, all released together."""
    barrier = threading.Barrier(count)
    errors = []

    def worker():
        try:
            with app.app_context():
                client = db.session.get(Client, client_id)
                db.session.commit()  # end the read so the threads meet with no lock held
                barrier.wait(timeout=30)
                services.create_invoice(client, LINES)
                db.session.commit()
        except Exception as exc:  # collected and re-raised in the test
            errors.append(exc)

    db.session.commit()  # the test's own session must hold no lock either
    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    return sorted(db.session.scalars(select(Invoice.number)))


def test_numbers_follow_the_practice_sequence(make_invoice):
    assert [make_invoice().number for _ in range(3)] == ["BM-0001", "BM-0002", "BM-0003"]


def test_prefix_and_next_number_come_from_settings(make_invoice):
    services.update_practice_settings({"invoice_prefix": "INV/", "invoice_next_number": "250",
                                       "payment_terms_days": "30"})
    db.session.commit()
    assert make_invoice().number == "INV/0250"
    assert make_invoice().number == "INV/0251"


def test_numbers_past_four_digits_keep_growing(make_invoice):
    services.update_practice_settings({"invoice_prefix": "", "invoice_next_number": "9999",
                                       "payment_terms_days": "14"})
    db.session.commit()
    assert [make_invoice().number, make_invoice().number] == ["9999", "10000"]


def test_a_rolled_back_invoice_gives_its_number_back(make_client, make_invoice):
    client = make_client()
    services.create_invoice(client, LINES)
    db.session.rollback()
    assert make_invoice(client=client).number == "BM-0001"


def test_a_number_already_used_is_refused_with_advice(make_client, make_invoice):
    first = make_invoice()
    services.update_practice_settings({"invoice_prefix": "BM-", "invoice_next_number": "1",
                                       "payment_terms_days": "14"})
    db.session.commit()
    with pytest.raises(services.ValidationError, match="Change the next invoice number in Settings"):
        services.create_invoice(first.client, LINES)
    db.session.rollback()


def test_simultaneous_invoices_get_distinct_gapless_numbers(app, make_client):
    client = make_client()
    services.practice_settings()
    db.session.commit()
    numbers = raise_invoices_at_once(app, client.id, THREADS)
    assert numbers == [f"BM-{n:04d}" for n in range(1, THREADS + 1)]
    assert db.session.get(PracticeSettings, 1).invoice_next_number == THREADS + 1


def test_simultaneous_first_invoices_on_a_fresh_database(app, make_client):
    """No settings row yet: the threads race to create it as well."""
    client = make_client()
    assert db.session.get(PracticeSettings, 1) is None
    db.session.commit()
    numbers = raise_invoices_at_once(app, client.id, THREADS)
    assert numbers == [f"BM-{n:04d}" for n in range(1, THREADS + 1)]
