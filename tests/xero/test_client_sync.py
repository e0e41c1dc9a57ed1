"""Synchronise Clients, as the help article describes it, against the sandbox over HTTP."""
import re

import pytest

from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.testing import Browser
from plugins.xero.models import ContactLink

from .support import client_named, contact_id_of, html, link_of, listed

XERO = "/tools/integrations/xero"


def merge(admin, contact_name, client_name, use):
    client = client_named(client_name)
    return admin.post(f"{XERO}/contacts/{contact_id_of(contact_name)}/merge",
                      {"client_id": client.id, "use": use})


def test_merge_pop_up_shows_both_records_side_by_side(integrated, admin):
    client = client_named("Patel & Sons Limited")
    page = html(admin.get(f"{XERO}/contacts/{contact_id_of('Patel and Sons Ltd')}/merge?client_id={client.id}",
                          headers={"HX-Request": "true"}))
    assert "<dialog" in page and "<html" not in page
    assert "Patel &amp; Sons Limited" in page and "Patel and Sons Ltd" in page
    assert 'value="practice"' in page and 'value="xero"' in page and "Merge</button>" in page


def test_merge_with_practice_data_makes_xero_the_same(integrated, admin, sync_now, in_xero):
    contact_id = contact_id_of("Harbour View Café Limited")
    merge(admin, "Harbour View Café Limited", "Harbour View Cafe Ltd", "practice")
    page = sync_now()
    assert not listed(page, "Harbour View Café Limited")  # linked: off the list
    contact = in_xero.call("GET", f"Contacts/{contact_id}")["Contacts"][0]
    assert contact["Name"] == "Harbour View Cafe Ltd"
    assert contact["EmailAddress"] == "hello@harbourviewcafe.co.uk"
    assert link_of(client_named("Harbour View Cafe Ltd")).contact_id == contact_id


def test_merge_with_xero_data_updates_the_practice_client(integrated, admin, sync_now, in_xero):
    merge(admin, "Patel and Sons Ltd", "Patel & Sons Limited", "xero")
    client = client_named("Patel and Sons Ltd")
    assert client is not None and link_of(client) is not None
    assert client.phone == "0161 4960123"
    sync_now()
    assert in_xero.contact_named("Patel and Sons Ltd")["EmailAddress"] == "info@patelandsons.co.uk"


def test_create_in_brightmanager_adds_and_links_the_client(integrated, admin):
    page = html(admin.get(f"{XERO}/"))
    assert "Create in BrightManager" in page
    admin.post(f"{XERO}/contacts/{contact_id_of('Riverside Yoga Studio')}/create")
    client = client_named("Riverside Yoga Studio")
    assert client is not None and link_of(client).contact_id == contact_id_of("Riverside Yoga Studio")
    assert not listed(html(admin.get(f"{XERO}/")), "Riverside Yoga Studio")


def test_client_file_has_xero_contact_with_open_in_xero_and_unlink(integrated, admin, xero_user):
    admin.post(f"{XERO}/contacts/{contact_id_of('Kestrel Engineering Ltd')}/create")
    client = client_named("Kestrel Engineering Ltd")
    page = html(admin.get(f"/clients/{client.id}"))
    assert "Xero Contact" in page and "Open in Xero" in page and "Unlink" in page
    opened = admin.get(f"{XERO}/contacts/{link_of(client).contact_id}/open")
    assert "organisationlogin/default.aspx" in opened.headers["Location"]
    assert "Kestrel Engineering Ltd" in xero_user.open(opened.headers["Location"]).text
    admin.post(f"{XERO}/clients/{client.id}/unlink")
    assert link_of(client) is None
    assert "Xero Contact" not in html(admin.get(f"/clients/{client.id}"))
    assert listed(html(admin.get(f"{XERO}/")), "Kestrel Engineering Ltd")


def test_unlinked_client_has_no_xero_contact_button(integrated, admin):
    client = client_named("Oakley Joinery")
    assert "Xero Contact" not in html(admin.get(f"/clients/{client.id}"))


@pytest.mark.variants
def test_new_client_is_added_to_xero_on_the_next_sync(integrated, admin, sync_now, in_xero):
    admin.post("/clients/new", {"name": "Fresh Start Bakery", "email": "hi@freshstart.example"})
    client = client_named("Fresh Start Bakery")
    assert "will be added to Xero as a contact on the next sync" in html(admin.get(f"/clients/{client.id}"))
    sync_now()
    contact = in_xero.contact_named("Fresh Start Bakery")
    assert contact["ContactNumber"] == client.reference
    assert link_of(client_named("Fresh Start Bakery")).contact_id == contact["ContactID"]
    assert "will be added to Xero" not in html(admin.get(f"/clients/{client.id}"))


def test_imported_clients_are_added_to_xero(integrated, admin, sync_now, in_xero):
    import base64

    csv = b"Name,Email\nAlpha Analytics,a@alpha.example\nBeta Builders,b@beta.example\n"
    admin.post("/clients/import/confirm", {"payload": base64.b64encode(csv).decode()})
    sync_now()
    assert in_xero.contact_named("Alpha Analytics") and in_xero.contact_named("Beta Builders")


def test_clients_from_before_the_integration_are_not_pushed(integrated, sync_now, in_xero):
    sync_now()
    assert in_xero.contact_named("Greenfield Dental Practice") is None


def test_new_xero_contacts_are_not_created_in_the_practice(integrated, in_xero, sync_now):
    in_xero.create_contact(Name="Only In Xero Ltd")
    sync_now()
    assert client_named("Only In Xero Ltd") is None


@pytest.mark.variants
def test_name_taken_in_xero_is_not_duplicated_and_offers_a_link(integrated, admin, sync_now, in_xero):
    admin.post("/clients/new", {"name": "Riverside Yoga Studio"})
    sync_now()
    names = [c["Name"] for c in in_xero.contacts()]
    assert names.count("Riverside Yoga Studio") == 1
    client = client_named("Riverside Yoga Studio")
    page = html(admin.get(f"/clients/{client.id}"))
    assert "is already assigned to another contact" in page
    holder = contact_id_of("Riverside Yoga Studio")
    admin.post(f"{XERO}/clients/{client.id}/link/{holder}")
    assert link_of(client).contact_id == holder
    sync_now()
    assert [c["Name"] for c in in_xero.contacts()].count("Riverside Yoga Studio") == 1


@pytest.mark.variants
def test_linked_changes_are_copied_both_ways(integrated, admin, sync_now, in_xero):
    merge(admin, "Northwind Traders", "Northwind Traders LLP", "xero")
    client = client_named("Northwind Traders")
    admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "version": client.version,
                                              "email": "billing@northwind.example.com"})
    sync_now()
    contact_id = link_of(client).contact_id
    assert in_xero.call("GET", f"Contacts/{contact_id}")["Contacts"][0]["EmailAddress"] == "billing@northwind.example.com"
    in_xero.update_contact(contact_id, Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "020 7946 0999"}])
    sync_now()
    assert client_named("Northwind Traders").phone == "020 7946 0999"


@pytest.mark.variants
def test_change_on_both_sides_keeps_the_newer_and_records_a_conflict(integrated, admin, sync_now, in_xero):
    merge(admin, "Northwind Traders", "Northwind Traders LLP", "xero")
    client = client_named("Northwind Traders")
    contact_id = link_of(client).contact_id
    services.update_client(client, {"email": "practice@northwind.example.com"})
    db.session.commit()
    in_xero.update_contact(contact_id, EmailAddress="xero@northwind.example.com")  # later: Xero wins
    page = sync_now()
    assert client_named("Northwind Traders").email == "xero@northwind.example.com"
    assert "changed in both systems" in page


def test_archiving_a_client_leaves_the_xero_contact_active(integrated, admin, sync_now, in_xero):
    admin.post(f"{XERO}/contacts/{contact_id_of('Kestrel Engineering Ltd')}/create")
    client = client_named("Kestrel Engineering Ltd")
    admin.post(f"/clients/{client.id}/archive")
    sync_now()
    assert in_xero.contact_named("Kestrel Engineering Ltd")["ContactStatus"] == "ACTIVE"


def test_archiving_in_xero_leaves_the_client_active(integrated, admin, sync_now, in_xero):
    admin.post(f"{XERO}/contacts/{contact_id_of('Kestrel Engineering Ltd')}/create")
    in_xero.update_contact(contact_id_of("Kestrel Engineering Ltd"), ContactStatus="ARCHIVED")
    sync_now()
    assert client_named("Kestrel Engineering Ltd").archived is False


@pytest.mark.variants
def test_contact_is_listed_once_xero_makes_it_a_customer(integrated, admin, sync_now, in_xero):
    assert not listed(html(admin.get(f"{XERO}/")), "Oakley Joinery")
    in_xero.raise_invoice(in_xero.contact_named("Oakley Joinery")["ContactID"])
    page = sync_now()
    assert listed(page, "Oakley Joinery")
    assert re.search(r"\d+% – Oakley Joinery", page)


def test_duplicate_xero_contact_of_a_linked_client_stays_listed(integrated, admin, sync_now, in_xero):
    merge(admin, "Harbour View Café Limited", "Harbour View Cafe Ltd", "xero")
    duplicate = in_xero.create_contact(Name="Harbour View Cafe (old)", EmailAddress="hello@harbourviewcafe.co.uk")
    in_xero.raise_invoice(duplicate["ContactID"])
    page = sync_now()
    assert listed(page, "Harbour View Cafe (old)")
    row = page[page.index("Harbour View Cafe (old)"):]
    row = row[:row.index("</tr>")]
    assert "Harbour View Café Limited</option>" not in row  # the linked client is not offered again


def test_soft_disconnect_in_xero_keeps_queued_clients_until_reconnected(
        integrated, admin, sync_now, in_xero, xero_user, integrate):
    xero_user.disconnect_app()
    admin.post("/clients/new", {"name": "Queued While Disconnected"})
    page = sync_now()
    assert "Reconnect Xero Integration" in page
    assert in_xero.contact_named("Queued While Disconnected") is None
    integrate(first_sync=False)
    page = sync_now()
    assert in_xero.contact_named("Queued While Disconnected") is not None
    assert "Reconnect Xero Integration" not in page


def test_refused_refresh_token_soft_disconnects(integrated, sandbox, sync_now):
    sandbox.advance_clock(61 * 24 * 3600)  # unused for more than 60 days
    page = sync_now()
    assert "Reconnect Xero Integration" in page
    assert "refused" in page


def test_red_disconnect_explains_and_removes_the_links(integrated, admin, sandbox):
    merge(admin, "Patel and Sons Ltd", "Patel & Sons Limited", "xero")
    page = html(admin.get(f"{XERO}/disconnect"))
    assert "match all your clients up again" in page and "<strong>1</strong> client" in page
    admin.post(f"{XERO}/disconnect", {"confirm": "wrong"})
    assert link_of(client_named("Patel and Sons Ltd")) is not None
    admin.post(f"{XERO}/disconnect", {"confirm": "Demo Company (UK)"})
    assert link_of(client_named("Patel and Sons Ltd")) is None
    assert "Integrate with Xero" in html(admin.get(f"{XERO}/"))


def test_staff_cannot_integrate_change_settings_or_disconnect(integrated, make_user, app):
    make_user("staff@example.com")
    web = Browser(app.test_client())
    web.login("staff@example.com")
    for url in ("connect", "settings", "disconnect", "organisation"):
        assert web.get(f"{XERO}/{url}").status_code == 403
    assert web.post(f"{XERO}/disconnect", {"confirm": "Demo Company (UK)"}).status_code == 403
    assert web.get(f"{XERO}/").status_code == 200


def test_disabled_plugin_hides_xero_and_keeps_links(integrated, admin):
    merge(admin, "Patel and Sons Ltd", "Patel & Sons Limited", "xero")
    client = client_named("Patel and Sons Ltd")
    admin.post("/tools/plugins/xero", {"enabled": "0"})
    assert admin.get(f"{XERO}/").status_code == 404
    assert "Xero Contact" not in html(admin.get(f"/clients/{client.id}"))
    admin.post("/tools/plugins/xero", {"enabled": "1"})
    assert "Xero Contact" in html(admin.get(f"/clients/{client.id}"))


def test_cli_sync_runs_in_the_foreground(integrated, app):
    result = app.test_cli_runner().invoke(args=["xero", "sync"])
    assert result.exit_code == 0, result.output
    assert "finished: Sync finished" in result.output


def test_progress_bar_polls_until_the_sync_ends(integrated, admin):
    from plugins.xero.jobs import queue_sync

    run = queue_sync()
    polling = admin.get(f"{XERO}/runs/{run.id}", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in html(polling) and "<progress" in html(polling)
    assert db.session.scalar(select(func.count()).select_from(ContactLink)) == 0
