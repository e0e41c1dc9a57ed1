"""Merge, field by field: the pop-up shows both records and the user picks the value to keep per row."""
import re

from sqlalchemy import select

from bm.extensions import db
from plugins.xero.models import OutboxEntry

from .support import client_named, contact_id_of, html, link_of

XERO = "/tools/integrations/xero"


def pop_up(admin, contact_name, client_name):
    client = client_named(client_name)
    return html(admin.get(f"{XERO}/contacts/{contact_id_of(contact_name)}/merge?client_id={client.id}",
                          headers={"HX-Request": "true"}))


def merge(admin, contact_name, client_name, **form):
    return admin.post(f"{XERO}/contacts/{contact_id_of(contact_name)}/merge",
                      {"client_id": client_named(client_name).id, **form}, follow_redirects=True)


def test_merge_pop_up_offers_a_labelled_choice_for_each_field_that_differs(integrated, admin):
    page = pop_up(admin, "Harbour View Café Limited", "Harbour View Cafe Ltd")
    for field in ("name", "email", "phone"):  # the fields the two records disagree on
        for side in ("practice", "xero"):
            assert re.search(rf'<label><input type="radio" name="keep_{field}" value="{side}">', page), (field, side)
    assert 'name="keep_tax_number"' not in page  # blank on both sides: nothing to choose
    assert 'name="keep_postcode"' not in page  # the same on both sides (Xero's street address)
    assert "Keep name: </span>Harbour View Cafe Ltd" in page and "Keep name: </span>Harbour View Café Limited" in page
    # the article's choice of a whole system is still there, BrightManager preselected
    assert '<input type="radio" name="use" value="practice" checked> BrightManager' in page
    assert '<input type="radio" name="use" value="xero"> Xero' in page


def test_per_field_merge_writes_each_chosen_value_to_both_systems(integrated, admin, sync_now, in_xero):
    contact_id = contact_id_of("Harbour View Café Limited")
    page = html(merge(admin, "Harbour View Café Limited", "Harbour View Cafe Ltd",
                      use="practice", keep_name="xero", keep_phone="xero"))
    assert "is now linked to Harbour View Café Limited in Xero" in page
    client = client_named("Harbour View Café Limited")  # the name chosen from Xero, written now
    assert client.phone == "020 7946 0011"  # so is the phone
    assert client.email == "hello@harbourviewcafe.co.uk" and client.country == "GB"  # the practice's kept
    assert link_of(client).contact_id == contact_id
    sync_now()
    contact = in_xero.call("GET", f"Contacts/{contact_id}")["Contacts"][0]
    assert contact["Name"] == "Harbour View Café Limited"
    assert contact["EmailAddress"] == "hello@harbourviewcafe.co.uk"  # the practice's values reached Xero
    assert contact["Phones"][0]["PhoneNumber"] == "020 7946 0011"
    assert {address.get("Country") for address in contact["Addresses"]} >= {"GB"}
    db.session.expire_all()
    client = client_named("Harbour View Café Limited")
    assert (client.email, client.phone, client.country) == ("hello@harbourviewcafe.co.uk", "020 7946 0011", "GB")


def test_a_row_choice_overrides_the_whole_system_choice(integrated, admin, sync_now, in_xero):
    contact_id = contact_id_of("Harbour View Café Limited")
    merge(admin, "Harbour View Café Limited", "Harbour View Cafe Ltd", use="xero", keep_email="practice")
    client = client_named("Harbour View Café Limited")
    assert client.email == "hello@harbourviewcafe.co.uk" and client.phone == "020 7946 0011"
    sync_now()
    contact = in_xero.call("GET", f"Contacts/{contact_id}")["Contacts"][0]
    assert contact["EmailAddress"] == "hello@harbourviewcafe.co.uk"
    assert contact["Name"] == "Harbour View Café Limited"


def test_choosing_every_field_from_xero_leaves_nothing_to_send(integrated, admin):
    merge(admin, "Patel and Sons Ltd", "Patel & Sons Limited",
          keep_name="xero", keep_phone="xero", keep_city="xero", keep_country="xero")
    client = client_named("Patel and Sons Ltd")
    assert client.phone == "0161 4960123" and link_of(client) is not None
    assert db.session.scalar(select(OutboxEntry).where(
        OutboxEntry.object_id == client.id, OutboxEntry.state == "pending")) is None


def test_a_differing_field_left_without_any_choice_is_refused(integrated, admin):
    page = html(merge(admin, "Harbour View Café Limited", "Harbour View Cafe Ltd",
                      keep_name="xero", keep_email="xero"))
    assert "Choose which phone to keep." in page
    assert link_of(client_named("Harbour View Cafe Ltd")) is None


def test_the_whole_system_choice_alone_still_works(integrated, admin):
    merge(admin, "Patel and Sons Ltd", "Patel & Sons Limited", use="xero")
    assert client_named("Patel and Sons Ltd").phone == "0161 4960123"
