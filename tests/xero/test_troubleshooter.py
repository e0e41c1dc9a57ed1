""""Why isn't this in Xero?" on the client file answers from live state, with the fix."""
import re
from datetime import timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.models import Client
from plugins.xero.models import ContactLink

XERO = "/tools/integrations/xero"
ZONE = "Pacific/Auckland"  # the practice's time zone: never the same hour as UTC


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_TIMEZONE": ZONE}


def panel(admin, name):
    client = db.session.scalar(select(Client).where(Client.name == name))
    page = admin.get(f"/clients/{client.id}").get_data(as_text=True)
    found = re.search(r"<h2>(Why isn(?:&#39;|')t this in Xero\?|Xero)</h2>(.*?)</section>", page, re.S)
    return client, (found.group(2) if found else "")


def test_a_likely_xero_customer_is_offered_for_merging(integrated, admin):
    _client, text = panel(admin, "Patel & Sons Limited")
    assert "Patel and Sons Ltd looks like this client" in text and "Merge" in text


def test_a_contact_that_is_not_yet_a_customer_is_explained_and_can_be_linked(integrated, admin):
    client, text = panel(admin, "Oakley Joinery")
    assert "not yet a customer" in text and "sales invoice" in text
    link_url = re.search(r'action="([^"]+/link/[^"]+)"', text).group(1)
    admin.post(link_url)
    assert db.session.scalar(select(ContactLink).where(ContactLink.client_id == client.id)) is not None


def test_an_older_client_with_no_counterpart_can_be_added_to_xero(integrated, admin, queues, in_xero):
    client, text = panel(admin, "Greenfield Dental Practice")
    assert "before the integration" in text and "Add to Xero" in text
    admin.post(f"{XERO}/clients/{client.id}/add")
    queues()
    assert in_xero.contact_named("Greenfield Dental Practice")["ContactNumber"] == client.reference
    _client, text = panel(admin, "Greenfield Dental Practice")
    assert "Linked to Greenfield Dental Practice in Xero" in text


def test_a_disconnected_integration_says_reconnect(integrated, admin, xero_user, sync_now):
    xero_user.disconnect_app()
    sync_now()
    _client, text = panel(admin, "Greenfield Dental Practice")
    assert "disconnected" in text and "Reconnect Xero Integration" in text


def test_a_duplicate_in_xero_of_a_linked_client_is_pointed_out(integrated, admin, in_xero, sync_now):
    admin.post(f"{XERO}/contacts/{in_xero.contact_named('Kestrel Engineering Ltd')['ContactID']}/create")
    twin = in_xero.create_contact(Name="Kestrel Engineering Limited")
    sync_now()
    _client, text = panel(admin, "Kestrel Engineering Ltd")
    assert "Linked to Kestrel Engineering Ltd in Xero" in text
    assert "Xero also has Kestrel Engineering Limited" in text and "merge the two contacts in Xero" in text
    assert twin["ContactID"] in text  # "Open Kestrel Engineering Limited in Xero"


def test_the_daily_limit_says_when_syncing_resumes(integrated, admin):
    from datetime import timedelta

    from bm.models import utcnow
    from plugins.xero.models import XeroConnection

    connection = db.session.scalar(select(XeroConnection))
    connection.daily_limit_until = utcnow() + timedelta(hours=3)
    db.session.commit()
    _client, text = panel(admin, "Greenfield Dental Practice")
    assert "daily limit" in text and "resumes at" in text


def test_an_invoice_waiting_behind_the_daily_limit_says_when_it_goes(integrated, admin, in_xero):
    from datetime import timedelta

    from bm.models import utcnow
    from plugins.xero.models import XeroConnection
    from tests.xero.test_invoice_sync import enable_invoice_sync

    admin.post(f"{XERO}/contacts/{in_xero.contact_named('Riverside Yoga Studio')['ContactID']}/create")
    enable_invoice_sync(admin, in_xero)
    client = db.session.scalar(select(Client).where(Client.name == "Riverside Yoga Studio"))
    invoice = services.create_invoice(client, {"lines": [{"description": "Yoga", "unit_price": "50"}]})
    connection = db.session.scalar(select(XeroConnection))
    connection.daily_limit_until = utcnow() + timedelta(hours=2)
    db.session.commit()
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    resumes = connection.daily_limit_until.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(ZONE))
    assert "daily limit" in page and f"Syncing resumes at {resumes:%H:%M %Z}" in page
