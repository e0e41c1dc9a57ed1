"""Hostile and careless input gets a message, never a 500, on SQLite and PostgreSQL alike."""
import pytest
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.models import Client, Invoice, Payment, PracticeSettings, User
from support import client_named, html

LARGEST_AMOUNT = "999,999,999,999.99"


def invoice_form(client, **line):
    values = {"client_id": client.id, "date": "2026-01-10", "lines-0-description": "Accounts",
              "lines-0-quantity": "1", "lines-0-unit_price": "100", "lines-0-tax_rate": "20"}
    return values | {f"lines-0-{key}": value for key, value in line.items()}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("line, field", [
    ({"unit_price": "1e17"}, "unit_price"),
    ({"unit_price": "1e30"}, "unit_price"),
    ({"unit_price": "99999999999999999999999999999999999999"}, "unit_price"),
    ({"quantity": "1e20"}, "quantity"),
])
def test_an_amount_too_large_is_refused_naming_the_largest(staff, make_client, line, field):
    client = make_client()
    response = staff.post("/invoices/new", invoice_form(client, **line))
    assert response.status_code == 400
    assert LARGEST_AMOUNT in html(response) or "999,999,999.9999" in html(response)
    assert count(Invoice) == 0


def test_a_line_whose_amount_would_be_too_large_is_refused(staff, make_client):
    client = make_client()
    response = staff.post("/invoices/new", invoice_form(client, quantity="1000000", unit_price="1000000"))
    assert response.status_code == 400
    assert f"more than {LARGEST_AMOUNT}" in html(response)
    assert count(Invoice) == 0


def test_an_invoice_whose_total_would_be_too_large_is_refused(staff, make_client):
    client = make_client()
    form = invoice_form(client, unit_price="900000000000", tax_rate="0")
    form |= {"lines-1-description": "More", "lines-1-quantity": "1", "lines-1-unit_price": "900000000000"}
    response = staff.post("/invoices/new", form)
    assert response.status_code == 400
    assert f"more than {LARGEST_AMOUNT}" in html(response)
    assert count(Invoice) == 0


def test_the_largest_amount_is_accepted_and_kept_exactly(staff, make_client):
    client = make_client()
    response = staff.post("/invoices/new", invoice_form(client, unit_price="999999999999.99", tax_rate="0"))
    assert response.status_code == 302
    db.session.expire_all()
    assert str(db.session.scalar(select(Invoice.total))) == "999999999999.99"


@pytest.mark.parametrize("amount", ["1e30", "1e17", "99999999999999999999999999999999"])
def test_a_payment_too_large_gets_a_message(staff, approved, amount):
    invoice = approved
    response = staff.post(f"/invoices/{invoice.id}/payments", {"amount": amount, "date": "2026-01-12"})
    assert response.status_code == 400
    assert LARGEST_AMOUNT in html(response)
    assert count(Payment) == 0


@pytest.mark.parametrize("version", ["abc", "", "1.5", "99999999999999999999", "²"])
def test_a_tampered_client_version_is_a_conflict_not_an_error(staff, make_client, version):
    client = make_client(name="Acme")
    response = staff.post(f"/clients/{client.id}/edit", {"name": "Changed", "version": version})
    assert response.status_code == 400
    assert "changed by someone else" in html(response)
    assert client_named("Acme") is not None


@pytest.mark.parametrize("version", ["abc", "", "1.5", "99999999999999999999"])
def test_a_tampered_invoice_version_is_a_conflict_not_an_error(staff, make_invoice, version):
    invoice = make_invoice(reference="before")
    form = {"date": "2026-01-10", "reference": "after", "version": version,
            "lines-0-description": "Accounts", "lines-0-unit_price": "10"}
    response = staff.post(f"/invoices/{invoice.id}/edit", form)
    assert response.status_code == 400
    assert "changed by someone else" in html(response)
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).reference == "before"


@pytest.mark.parametrize("url", [
    "/clients/99999999999999999999", "/clients/2147483648", "/clients/99999999999999999999/edit",
    "/invoices/99999999999999999999", "/invoices/18446744073709551616/edit",
])
def test_ids_beyond_the_columns_range_are_not_found(staff, url):
    assert staff.get(url).status_code == 404


def test_new_invoice_for_a_huge_client_id_asks_for_the_client(staff):
    response = staff.get("/invoices/new?client_id=99999999999999999999")
    assert response.status_code == 200
    assert "New invoice: choose the client" in html(response)


@pytest.mark.parametrize("url", ["/clients/99999999999999999999/archive",
                                 "/invoices/99999999999999999999/payments",
                                 "/tools/users/99999999999999999999"])
def test_posts_to_ids_beyond_the_columns_range_are_not_found(admin, url):
    assert admin.post(url, {"amount": "1"}).status_code == 404


def test_an_invoice_filter_by_a_huge_client_id_lists_all_invoices(staff, make_invoice):
    make_invoice(reference="visible")
    response = staff.get("/invoices/?client_id=99999999999999999999")
    assert response.status_code == 200
    assert "visible" in html(response) or "BM-0001" in html(response)


def test_unicode_digits_in_a_reference_do_not_break_the_next_reference(staff, make_client):
    make_client(name="Superscript", reference="C²")
    make_client(name="Arabic", reference="C٣")
    response = staff.post("/clients/new", {"name": "Next", "reference": ""})
    assert response.status_code == 302
    assert client_named("Next").reference == "C0001"


@pytest.mark.parametrize("field, value", [("date", "9999-12-31"), ("date", "0001-01-01"),
                                          ("due_date", "9999-12-31")])
def test_a_far_date_gets_a_message(staff, make_client, field, value):
    client = make_client()
    response = staff.post("/invoices/new", invoice_form(client) | {field: value})
    assert response.status_code == 400
    assert "Enter a date from 1900-01-01 to 2999-12-31." in html(response)
    assert count(Invoice) == 0


def test_a_far_payment_date_gets_a_message(staff, approved):
    invoice = approved
    response = staff.post(f"/invoices/{invoice.id}/payments", {"amount": "1", "date": "9999-12-31"})
    assert response.status_code == 400
    assert "Enter a date from 1900-01-01 to 2999-12-31." in html(response)


@pytest.mark.parametrize("url, form", [
    ("/clients/new", {"name": "Null\x00Byte Ltd"}),
    ("/clients/new", {"name": "Acme", "notes": "a\x00b"}),
    ("/invoices/new", {"lines-0-description": "Acc\x00ounts"}),
    ("/invoices/new", {"reference": "\x00"}),
])
def test_a_nul_byte_is_refused_with_a_message(staff, make_client, url, form):
    client = make_client(name="Existing")
    before = (count(Client), count(Invoice))
    response = staff.post(url, invoice_form(client) | form if url.startswith("/invoices") else form)
    assert response.status_code == 400
    assert "invisible control characters" in html(response)
    assert (count(Client), count(Invoice)) == before


def test_a_nul_byte_in_a_search_finds_nothing_instead_of_failing(staff, make_client):
    make_client(name="Acme")
    response = staff.get("/clients/?q=Ac%00me")
    assert response.status_code == 400
    assert "invisible control characters" in html(response)


@pytest.mark.parametrize("form, field_message", [
    ({"email": "a" * 250 + "@example.com"}, "Use at most 255 characters."),
    ({"name": "n" * 256}, "Use at most 255 characters."),
])
def test_a_user_email_or_name_over_255_characters_gets_a_message(admin, form, field_message):
    values = {"email": "ok@example.com", "password": "a long enough passphrase", "role": "staff"} | form
    response = admin.post("/tools/users/", values)
    assert response.status_code == 400
    assert field_message in html(response)
    assert count(User) == 1


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775807", "99999999999999999999999", "١٢"])
def test_an_invoice_number_beyond_the_column_is_refused(admin, number):
    response = admin.post("/tools/settings", {"invoice_prefix": "BM-", "invoice_next_number": number,
                                              "payment_terms_days": "14"})
    assert response.status_code == 400
    assert "Enter a whole number from 1 to 999,999,999." in html(response)
    assert services.practice_settings().invoice_next_number == 1


def test_the_largest_next_invoice_number_still_raises_invoices(admin, make_invoice):
    response = admin.post("/tools/settings", {"invoice_prefix": "BM-", "invoice_next_number": "999999999",
                                              "payment_terms_days": "14"})
    assert response.status_code == 302
    assert make_invoice().number == "BM-999999999"
    assert make_invoice().number == "BM-1000000000"
    assert db.session.get(PracticeSettings, 1).invoice_next_number == 1000000001


@pytest.mark.parametrize("target", ["/clients/\r\nSet-Cookie: x=1", "/clients/\nLocation: //evil",
                                    "/clients/%0d%0a", "/clients/\tx"])
def test_next_with_line_breaks_goes_home(web, make_user, target):
    make_user("ann@example.com")
    response = web.client.post("/login", query_string={"next": target},
                               data={"email": "ann@example.com", "password": "password",
                                     "csrf_token": web.csrf_token()})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/clients/", "/clients/%0d%0a")
    assert "Set-Cookie: x" not in str(response.headers)


def test_an_invoice_reference_over_255_characters_gets_a_message(staff, make_client):
    client = make_client()
    response = staff.post("/invoices/new", invoice_form(client) | {"reference": "r" * 256})
    assert response.status_code == 400
    assert "Use at most 255 characters." in html(response)
    assert count(Invoice) == 0


def test_a_payment_reference_over_255_characters_gets_a_message(staff, approved):
    invoice = approved
    response = staff.post(f"/invoices/{invoice.id}/payments", {"amount": "1", "reference": "r" * 256})
    assert response.status_code == 400
    assert "Use at most 255 characters." in html(response)
    assert count(Payment) == 0
