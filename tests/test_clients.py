"""Clients: the list with search and pages, client files, create, edit, archive."""
import pytest
from markupsafe import escape
from sqlalchemy import func, select, text, update

from bm import services
from bm.extensions import db
from bm.models import Client
from support import client_named, html, link

FULL_CLIENT = {
    "reference": "C0100", "kind": "individual", "name": "", "first_name": "Ada", "last_name": "Lovelace",
    "email": "ada@example.org", "phone": "020 7946 0000", "address_line1": "1 Analytical Row",
    "address_line2": "Marylebone", "city": "London", "region": "Greater London", "postcode": "NW1 6XE",
    "country": "GB", "tax_number": "1234567890", "account_number": "ADA01", "notes": "Prefers email.",
}


def test_create_client_with_every_field(admin):
    response = admin.post("/clients/new", FULL_CLIENT)
    assert response.status_code == 302
    client = client_named("Ada Lovelace")
    assert response.headers["Location"] == f"/clients/{client.id}"
    for field, value in FULL_CLIENT.items():
        if field != "name":
            assert getattr(client, field) == value, field
    assert client.created_at and client.updated_at and not client.archived
    page = html(admin.get(f"/clients/{client.id}"))
    assert "Client Ada Lovelace created." in page
    for shown in ("C0100", "Ada Lovelace", "ada@example.org", "NW1 6XE", "ADA01", "Prefers email."):
        assert shown in page


def test_blank_reference_gets_the_next_one(admin, make_client):
    make_client(name="First", reference="C0007")
    admin.post("/clients/new", {"name": "Second", "reference": ""})
    assert client_named("Second").reference == "C0008"


def test_new_client_form_shows(admin):
    page = html(admin.get("/clients/new"))
    assert "New client" in page and 'name="reference"' in page and 'name="email"' in page


@pytest.mark.parametrize("form, field, message", [
    ({"name": ""}, "name", "Enter the client's name."),
    ({"name": "   "}, "name", "Enter the client's name."),
    ({"name": "Acme", "email": "acme.example.com"}, "email", "Enter a valid email address, like name@example.com."),
    ({"name": "Acme", "email": "a@b"}, "email", "Enter a valid email address, like name@example.com."),
    ({"name": "Acme", "kind": "company"}, "kind", "Choose business or individual."),
    ({"name": "A" * 256}, "name", "Use at most 255 characters."),
])
def test_bad_client_input_shows_field_messages(admin, form, field, message):
    response = admin.post("/clients/new", form)
    assert response.status_code == 400
    page = html(response)
    assert str(escape(message)) in page
    assert "Please correct the fields marked below." in page
    assert db.session.scalar(select(func.count()).select_from(Client)) == 0


def test_bad_input_keeps_what_the_user_typed(admin):
    page = html(admin.post("/clients/new", {"name": "Acme Ltd", "email": "nope", "city": "Leeds"}))
    assert 'value="Acme Ltd"' in page and 'value="Leeds"' in page and 'value="nope"' in page


def test_duplicate_reference_is_refused(admin, make_client):
    make_client(name="Existing", reference="C0001")
    response = admin.post("/clients/new", {"name": "Newcomer", "reference": "C0001"})
    assert response.status_code == 400
    assert "Reference C0001 is already used by another client." in html(response)
    assert client_named("Newcomer") is None


def test_edit_client(admin, make_client):
    client = make_client(name="Acme", email="old@acme.test")
    form = html(admin.get(f"/clients/{client.id}/edit"))
    assert 'value="old@acme.test"' in form and 'name="version" value="1"' in form
    response = admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "email": "new@acme.test", "version": "1"})
    assert response.status_code == 302
    db.session.refresh(client)
    assert client.email == "new@acme.test" and client.version == 2
    assert "Client saved." in html(admin.get(f"/clients/{client.id}"))


def test_edit_keeps_the_reference_unique(admin, make_client):
    make_client(name="One", reference="C0001")
    two = make_client(name="Two", reference="C0002")
    response = admin.post(f"/clients/{two.id}/edit", {**two.as_dict(), "reference": "C0001", "version": "1"})
    assert response.status_code == 400
    assert "Reference C0001 is already used by another client." in html(response)


def test_saving_a_client_unchanged_keeps_its_own_reference(admin, make_client):
    client = make_client(name="Acme", reference="C0005")
    response = admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "version": "1"})
    assert response.status_code == 302


def test_edit_with_bad_email_shows_message(admin, make_client):
    client = make_client(name="Acme")
    response = admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "email": "x@", "version": "1"})
    assert response.status_code == 400
    assert "Enter a valid email address" in html(response)
    db.session.refresh(client)
    assert client.email == ""


def test_two_edits_racing_show_a_conflict_message(app, admin, make_client, make_user):
    client = make_client(name="Acme", phone="1")
    make_user("ann@example.com")
    other = type(admin)(app.test_client())
    other.login("ann@example.com")
    admin.get(f"/clients/{client.id}/edit")  # both open the form at version 1
    other.get(f"/clients/{client.id}/edit")
    assert other.post(f"/clients/{client.id}/edit", {**client.as_dict(), "phone": "2", "version": "1"}).status_code == 302
    response = admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "phone": "3", "version": "1"})
    assert response.status_code == 400
    assert "was changed by someone else while you were editing" in html(response)
    db.session.refresh(client)
    assert client.phone == "2"


def test_a_stale_client_row_raises_a_conflict_not_a_crash(app, make_client):
    client = make_client(name="Acme")
    db.session.refresh(client)
    # Another request saves the client between our read and our write.
    db.session.connection().execute(update(Client).where(Client.id == client.id).values(version=2))
    assert client.version == 1
    with pytest.raises(services.ConflictError):
        services.update_client(client, {"phone": "123"}, expected_version=1)
    db.session.rollback()


def test_archive_and_unarchive(admin, make_client):
    client = make_client(name="Acme")
    response = admin.post(f"/clients/{client.id}/archive", follow_redirects=True)
    assert "Acme archived." in html(response) and "Unarchive" in html(response)
    db.session.refresh(client)
    assert client.archived
    assert "Acme" not in html(admin.get("/clients/"))
    assert "Acme" in html(admin.get("/clients/?status=archived"))
    response = admin.post(f"/clients/{client.id}/unarchive", follow_redirects=True)
    assert "Acme is active again." in html(response)
    db.session.refresh(client)
    assert not client.archived
    assert "Acme" in html(admin.get("/clients/"))


def test_archiving_twice_changes_nothing(admin, make_client):
    client = make_client(name="Acme")
    admin.post(f"/clients/{client.id}/archive")
    assert admin.post(f"/clients/{client.id}/archive").status_code == 302
    db.session.refresh(client)
    assert client.archived


def test_archived_client_cannot_be_invoiced(admin, make_client):
    client = make_client(name="Acme")
    admin.post(f"/clients/{client.id}/archive")
    response = admin.post(f"/invoices/new?client_id={client.id}",
                          {"lines-0-description": "Work", "lines-0-unit_price": "10"})
    assert response.status_code == 400
    assert "This client is archived" in html(response)


@pytest.mark.parametrize("url", ["/clients/999999", "/clients/999999/edit"])
def test_unknown_client_is_a_404_page(admin, url):
    response = admin.get(url)
    assert response.status_code == 404
    assert "Not found" in html(response)


@pytest.mark.parametrize("action", ["archive", "unarchive", "edit"])
def test_posting_to_an_unknown_client_is_a_404(admin, action):
    assert admin.post(f"/clients/999999/{action}").status_code == 404


def test_non_numeric_client_id_is_a_404(admin):
    assert admin.get("/clients/abc").status_code == 404


# -- list, search, pages ------------------------------------------------------------------------


@pytest.fixture
def some_clients(make_client):
    make_client(name="Harbour View Cafe", email="hello@harbour.test", reference="C0001")
    make_client(name="Patel & Sons", email="info@patel.test", reference="C0002")
    make_client(name="Jane Whitfield", email="jane@whitfield.test", reference="HV-77")


@pytest.mark.parametrize("query, expected", [
    ("harbour", {"Harbour View Cafe"}),
    ("HARBOUR", {"Harbour View Cafe"}),
    ("patel.test", {"Patel & Sons"}),
    ("C0002", {"Patel & Sons"}),
    ("hv-77", {"Jane Whitfield"}),
    ("e", {"Harbour View Cafe", "Patel & Sons", "Jane Whitfield"}),
    ("nobody", set()),
])
def test_search_by_name_email_or_reference(admin, some_clients, query, expected):
    page = html(admin.get("/clients/", query_string={"q": query}))
    for name in ("Harbour View Cafe", "Patel &amp; Sons", "Jane Whitfield"):
        assert (name in page) == (name.replace("&amp;", "&") in expected), (query, name)


def test_search_wildcards_are_literal(admin, make_client):
    make_client(name="100% Organic")
    make_client(name="1000 Widgets")
    page = html(admin.get("/clients/", query_string={"q": "100%"}))
    assert "100% Organic" in page and "1000 Widgets" not in page
    page = html(admin.get("/clients/", query_string={"q": "_"}))
    assert "No clients match" in page


def test_no_results_say_so(admin, some_clients):
    assert "No clients match “zzz”" in html(admin.get("/clients/?q=zzz"))


def test_empty_list_invites_to_add_or_import(admin):
    page = html(admin.get("/clients/"))
    assert "No clients yet." in page and "Import CSV" in page


def test_htmx_search_returns_a_partial_with_vary(admin, some_clients):
    response = admin.get("/clients/?q=patel", headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page
    assert "Patel &amp; Sons" in page and "Harbour" not in page
    assert "HX-Request" in ", ".join(response.headers.getlist("Vary"))


def test_full_page_also_varies_on_hx_request(admin):
    response = admin.get("/clients/")
    assert "<html" in html(response)
    assert "HX-Request" in ", ".join(response.headers.getlist("Vary"))


def test_boosted_request_gets_the_whole_page(admin):
    response = admin.get("/clients/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in html(response)


def test_search_box_is_wired_for_search_as_you_type(admin):
    page = html(admin.get("/clients/"))
    assert 'hx-get="/clients/"' in page and "input changed" in page and 'hx-push-url="true"' in page


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_PAGE_SIZE": 3}


def test_pagination_pages_forward_and_back(admin, make_client):
    for number in range(1, 8):
        make_client(name=f"Client {number:02d}")
    first = html(admin.get("/clients/"))
    assert "Client 01" in first and "Client 03" in first and "Client 04" not in first
    assert "1–3 of 7 clients" in first and link(first, "prev") is None
    second = html(admin.get(link(first, "next")))
    assert "Client 04" in second and "Client 06" in second and "Client 03" not in second and "Client 07" not in second
    assert "4–6 of 7 clients" in second
    third = html(admin.get(link(second, "next")))
    assert "Client 07" in third and "Client 06" not in third and "7–7 of 7 clients" in third
    assert link(third, "next") is None
    back = html(admin.get(link(third, "prev")))
    assert "Client 04" in back and "Client 06" in back and "Client 07" not in back and "4–6 of 7 clients" in back
    again = html(admin.get(link(back, "prev")))
    assert "Client 01" in again and "Client 03" in again and "1–3 of 7 clients" in again and link(again, "prev") is None


def test_a_page_starts_after_the_row_its_link_names_even_when_rows_come_and_go(admin, make_client):
    for number in range(1, 8):
        make_client(name=f"Client {number:02d}")
    second_link = link(html(admin.get("/clients/")), "next")
    make_client(name="Client 00")  # sorts first: under OFFSET paging it would push Client 03 onto page two
    second = html(admin.get(second_link))
    assert "Client 03" not in second and "Client 04" in second and "Client 06" in second


def test_pagination_keeps_the_search(admin, make_client):
    for number in range(1, 6):
        make_client(name=f"Match {number}")
    make_client(name="Other")
    following = link(html(admin.get("/clients/?q=match")), "next")
    assert "q=match" in following and "after=" in following
    page = html(admin.get(following))
    assert "Match 4" in page and "Match 5" in page and "Other" not in page


@pytest.mark.parametrize("cursor", ["after=99", "after=garbage!", "before=e30", "after=WzEsIFsxXV0",
                                   "after=WzEsIFsiQ2xpZW50IDAyIiwgIngiXV0", "page=abc", "after=" + "A" * 5000])
def test_a_bad_paging_link_shows_the_first_page(admin, make_client, cursor):
    for number in range(1, 5):
        make_client(name=f"Client {number}")
    response = admin.get(f"/clients/?{cursor}")
    assert response.status_code == 200
    assert "Client 1" in html(response) and "1–3 of 4 clients" in html(response)


def test_unknown_status_filter_falls_back_to_active(admin, make_client):
    make_client(name="Acme")
    assert "Acme" in html(admin.get("/clients/?status=bogus"))


def test_all_status_shows_archived_too(admin, make_client):
    make_client(name="Live")
    gone = make_client(name="Gone")
    services.set_client_archived(gone, True)
    db.session.commit()
    page = html(admin.get("/clients/?status=all"))
    assert "Live" in page and "Gone" in page


def test_client_file_lists_its_invoices(admin, make_invoice, make_client):
    client = make_client(name="Acme")
    invoice = make_invoice(client=client)
    page = html(admin.get(f"/clients/{client.id}"))
    assert invoice.number in page and "120.00" in page and "New invoice" in page


def test_client_list_query_uses_the_name_index(app, make_client):
    """Stays fast at 100,000 clients: the list is read in name order from an index."""
    statement = select(Client).where(Client.archived.is_(False)).order_by(Client.name, Client.id).limit(50)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_clients_archived_name" in plan and "TEMP B-TREE" not in plan
    else:
        for method in ("seqscan", "bitmapscan", "sort"):  # a tiny test table would be scanned and sorted
            db.session.execute(text(f"SET LOCAL enable_{method} = off"))
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN {compiled}")))
        assert "ix_clients_archived_name" in plan and "Sort" not in plan
