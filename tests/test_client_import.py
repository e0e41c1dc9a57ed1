"""Client CSV import: a preview first, row-level errors, all or nothing, readable file errors."""
import base64
import io
import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from bm.extensions import db
from bm.models import Client
from support import client_named, html

GOOD_CSV = (
    "Reference,Name,Email,Phone,Town,Post code,VAT number,Favourite colour\n"
    "C0101,Harbour View Cafe Ltd,hello@harbour.test,0117 000 0000,Bristol,BS1 4DJ,GB123,blue\n"
    ",Patel & Sons,info@patel.test,,Manchester,,,red\n"
)


def upload(browser, data, filename="clients.csv"):
    return browser.post("/clients/import", {"file": (io.BytesIO(data), filename)},
                        content_type="multipart/form-data")


def client_count():
    return db.session.scalar(select(func.count()).select_from(Client))


def confirm(browser, preview):
    payload = re.search(r'name="payload" value="([^"]*)"', html(preview)).group(1)
    return browser.post("/clients/import/confirm", {"payload": payload})


def test_import_page_explains_the_columns(admin):
    page = html(admin.get("/clients/import"))
    assert "Import clients from CSV" in page and "all or nothing" in page


def test_preview_shows_rows_before_anything_is_imported(admin):
    response = upload(admin, GOOD_CSV.encode())
    assert response.status_code == 200
    page = html(response)
    assert "2 clients are ready to import." in page
    assert "Harbour View Cafe Ltd" in page and "Patel &amp; Sons" in page
    assert "Import 2 clients" in page
    assert "Columns not recognised and left out: Favourite colour" in page
    assert client_count() == 0


def test_confirm_imports_every_row_with_aliased_columns(admin, make_client):
    make_client(name="Existing", reference="C0001")
    response = confirm(admin, upload(admin, GOOD_CSV.encode()))
    assert response.status_code == 302
    assert "Imported 2 clients." in html(admin.get("/clients/"))
    cafe = client_named("Harbour View Cafe Ltd")
    assert (cafe.reference, cafe.email, cafe.phone, cafe.city, cafe.postcode, cafe.tax_number) == (
        "C0101", "hello@harbour.test", "0117 000 0000", "Bristol", "BS1 4DJ", "GB123")
    patel = client_named("Patel & Sons")
    assert patel.reference == "C0002" and patel.city == "Manchester"


def test_blank_references_skip_those_written_later_in_the_file(admin, make_client):
    make_client(name="Existing", reference="C0001")
    response = upload(admin, b"Reference,Name\n,Auto\nC0002,Written\n")
    assert response.status_code == 200, html(response)
    assert confirm(admin, response).status_code == 302
    assert client_named("Written").reference == "C0002"
    assert client_named("Auto").reference == "C0003"


@pytest.mark.parametrize("header", [
    "name,email,first_name,last_name,address_line1,postcode,tax_number,account_number",
    "Name,E-mail,First Name,Surname,Address,Postal Code,UTR,Account Number",
    "NAME,Email Address,Firstname,Lastname,Address Line 1,Zip,Tax Number,Account number",
])
def test_header_aliases(admin, header):
    data = f"{header}\nAcme,a@acme.test,Ann,Lee,1 High St,AB1 2CD,999,ACC9\n".encode()
    assert confirm(admin, upload(admin, data)).status_code == 302
    acme = client_named("Acme")
    assert (acme.email, acme.first_name, acme.last_name, acme.address_line1, acme.postcode,
            acme.tax_number, acme.account_number) == ("a@acme.test", "Ann", "Lee", "1 High St", "AB1 2CD", "999", "ACC9")


def test_individuals_can_be_named_by_first_and_last_name(admin):
    data = b"First name,Last name,Kind\nJane,Whitfield,individual\n"
    assert confirm(admin, upload(admin, data)).status_code == 302
    assert client_named("Jane Whitfield").kind == "individual"


def test_excel_utf8_with_bom_and_crlf(admin):
    data = "Name,City\r\nCaf\u00e9 M\u00fcller,K\u00f6ln\r\n".encode("utf-8-sig")
    assert confirm(admin, upload(admin, data)).status_code == 302
    assert client_named("Caf\u00e9 M\u00fcller").city == "K\u00f6ln"


def test_quoted_fields_with_commas_and_newlines(admin):
    data = b'Name,Notes\n"Smith, Jones & Co","Line one\nLine two"\n'
    assert confirm(admin, upload(admin, data)).status_code == 302
    assert client_named("Smith, Jones & Co").notes == "Line one\nLine two"


def test_blank_lines_are_skipped(admin):
    data = b"Name\nAcme\n\n,\nBeta\n"
    assert "2 clients are ready to import." in html(upload(admin, data))


def test_row_errors_are_listed_and_nothing_is_imported(admin, make_client):
    make_client(name="Existing", reference="C0001")
    data = (b"Reference,Name,Email,Kind\n"
            b"C0050,Good One,good@example.com,business\n"
            b"C0051,,nobody@example.com,business\n"
            b"C0052,Bad Email,not-an-email,business\n"
            b"C0001,Taken Ref,taken@example.com,business\n"
            b"C0050,Twice,twice@example.com,business\n"
            b"C0053,Odd Kind,odd@example.com,company\n")
    response = upload(admin, data)
    assert response.status_code == 400
    page = html(response)
    assert "5 of 6 rows have errors. Nothing has been imported" in page
    assert str(escape("Name: Enter the client's name.")) in page
    assert "Email: Enter a valid email address" in page
    assert "Reference: Reference C0001 is already used by another client." in page
    assert "Reference: Reference C0050 also appears on row 2." in page
    assert "Kind: Choose business or individual." in page
    assert "Import 6 clients" not in page and 'name="payload"' not in page
    assert client_count() == 1


def test_rows_are_numbered_as_in_the_spreadsheet(admin):
    page = html(upload(admin, b"Name,Email\nGood,good@example.com\nBad,bad\n"))
    assert re.search(r'<tr class="row-error">\s*<td>3</td>', page)


def test_confirm_is_all_or_nothing_when_the_data_changed_since_the_preview(admin, make_client):
    preview = upload(admin, b"Reference,Name\nC0201,First\nC0202,Second\n")
    assert preview.status_code == 200
    make_client(name="Sneaky", reference="C0202")  # someone takes a reference meanwhile
    response = confirm(admin, preview)
    assert response.status_code == 400
    assert "Reference C0202 is already used by another client." in html(response)
    assert client_named("First") is None
    assert client_count() == 1


def test_confirm_with_a_tampered_payload_imports_nothing(admin):
    response = admin.post("/clients/import/confirm", {"payload": "%%% not base64"})
    assert response.status_code == 400
    assert "The file is empty." in html(response)
    bad_rows = base64.b64encode(b"Name,Email\nX,bad\n").decode()
    assert admin.post("/clients/import/confirm", {"payload": bad_rows}).status_code == 400
    assert client_count() == 0


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    ("Name,City\nCaf\u00e9,K\u00f6ln\n".encode("latin-1"), "The file is not UTF-8 text."),
    ("Name,City\nAcme,Leeds\n".encode("utf-16"), "The file is not UTF-8 text."),
    ("Name,City\nAcme,Leeds\n".encode("utf-16-le"), "This does not look like a CSV file."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is not UTF-8 text."),
    (b"Email,City\nx@example.com,Leeds\n", "The header row needs a Name column (or First name and Last name)."),
    (b"Name,City\n", "The file has a header row but no clients below it."),
    (b"\n\n", "The file has no header row."),
])
def test_bad_files_get_a_clear_message(admin, data, message):
    response = upload(admin, data)
    assert response.status_code == 400
    assert str(escape(message)) in html(response)
    assert client_count() == 0


def test_no_file_chosen(admin):
    response = admin.post("/clients/import", {})
    assert response.status_code == 400
    assert "The file is empty." in html(response)


def test_upload_too_large_is_refused_with_a_page(app, admin):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(admin, b"Name\n" + b"A long client name\n" * 200)
    assert response.status_code == 413
    assert "File too large" in html(response)


def test_import_fires_one_hook_for_the_whole_file(admin, register_plugin):
    from bm import hookimpl

    calls = []

    class Watcher:
        @hookimpl
        def clients_imported(self, clients):
            calls.append([client.name for client in clients])

        @hookimpl
        def client_created(self, client):
            calls.append(("created", client.name))

    register_plugin(Watcher(), "watcher")
    confirm(admin, upload(admin, b"Name\nOne\nTwo\n"))
    assert calls == [["One", "Two"]]
