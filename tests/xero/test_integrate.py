"""Synchronise Clients: integrating, the first sync, and the list of unlinked Xero customers."""
import re

import pytest

from sqlalchemy import select

from bm.extensions import db
from plugins.xero.models import ContactLink, XeroConnection
from plugins.xero.oauth import decrypt_tokens

from .support import client_named, contact_id_of, html


def test_integrate_with_xero_connects_the_chosen_organisation(integrate, admin):
    connection = integrate()
    assert connection.status == "connected"
    assert connection.organisation_name == "Demo Company (UK)"
    page = html(admin.get("/tools/integrations/xero/"))
    assert "Demo Company (UK)" in page and "Connected" in page
    assert "Sync Now" in page and "Integration Settings" in page and "Disconnect" in page


@pytest.mark.variants
def test_first_sync_lists_unlinked_customers_with_scored_suggestions(integrate, demo_clients, admin):
    integrate()
    page = html(admin.get("/tools/integrations/xero/"))
    assert "Sync finished" in page
    for customer in ("Harbour View Café Limited", "Patel and Sons Ltd", "Jane Whitfeld", "Northwind Traders",
                     "Riverside Yoga Studio", "Kestrel Engineering Ltd"):
        assert customer in page
    for not_customer in ("Office Supplies Direct", "City Council Parking", "Oakley Joinery"):
        assert not_customer not in page
    best = re.search(r'<option value="\d+" selected[^>]*>(\d+)% – Harbour View Cafe Ltd', page)
    assert best and int(best.group(1)) >= 85


def test_tokens_are_encrypted_at_rest(integrate, app):
    connection = integrate(first_sync=False)
    tokens = decrypt_tokens(connection.encrypted_tokens)
    assert tokens["refresh_token"] and tokens["access_token"]
    raw = db.session.execute(select(XeroConnection.encrypted_tokens)).scalar()
    assert tokens["refresh_token"].encode() not in bytes(raw)
    assert tokens["access_token"][:40].encode() not in bytes(raw)


def test_a_list_of_exactly_1000_contacts_is_read_in_one_call(integrate, sandbox):
    from plugins.xero.jobs import sync_organisation

    integrate(first_sync=False)
    sandbox.seed(contacts=1000 - 9, customers=10)  # the demo organisation has 9 contacts already
    sandbox.reset_stats()
    db.session.commit()
    sync_organisation(trigger="test")
    assert sandbox.stats()["calls"]["GET /api.xro/2.0/Contacts"] == 1


@pytest.mark.parametrize("refusal", ["accepted", "invalid_grant", "invalid_request"])
def test_pkce_goes_with_the_secret_and_a_xero_that_refuses_the_two_is_asked_without_the_verifier(
        integrate, sandbox, caplog, refusal):
    sandbox.set_variants(pkce_with_secret=refusal)
    caplog.set_level("WARNING", logger="plugins.xero.api")
    assert integrate(first_sync=False).status == "connected"
    fell_back = [r.getMessage() for r in caplog.records if "PKCE" in r.getMessage()]
    if refusal == "accepted":  # the sandbox checked the verifier: the code was issued for its challenge
        assert fell_back == []
    else:
        assert fell_back == [f"Xero refused the code exchange with PKCE and the client secret ({refusal}); trying "
                             "once more with the client secret alone",
                             "Xero took the code exchange without PKCE (the client secret alone)"]


def test_a_code_refused_for_another_reason_is_asked_for_once_more_and_then_reported(admin, xero_user, sandbox):
    start = admin.get("/tools/integrations/xero/connect")
    callback = xero_user.allow_access(start.headers["Location"])
    sandbox.advance_clock(10 * 60)  # the code has expired: the fallback cannot save it
    sandbox.reset_stats()
    page = html(admin.get(callback, follow_redirects=True))
    assert "Xero refused the sign-in" in page and "Start again with Integrate with Xero" in page
    assert sandbox.stats()["calls"]["POST /connect/token"] == 2


@pytest.mark.parametrize("soft_disconnected", [False, True], ids=["connected", "soft-disconnected"])
def test_reconnect_keeps_to_the_integrated_organisation(integrate, demo_clients, admin, xero_user, soft_disconnected):
    """Choosing another organisation while integrated is refused: the links stay with the first."""
    first = integrate()
    client = client_named("Northwind Traders LLP")
    admin.post(f"/tools/integrations/xero/clients/{client.id}/link/{contact_id_of('Northwind Traders')}")
    links = live_links()
    assert len(links) == 1
    if soft_disconnected:
        first.status, first.status_reason = "disconnected", "Xero refused the saved authorisation."
        db.session.commit()
    start = admin.get("/tools/integrations/xero/connect")
    admin.get(xero_user.allow_access(start.headers["Location"], "Demo Company (NZ)"))
    page = html(admin.get("/tools/integrations/xero/organisation"))
    assert "BrightManager is integrated with <strong>Demo Company (UK)</strong>: choose it to reconnect." in page
    nz = re.search(r'<option value="([^"]+)">Demo Company \(NZ\)<', page).group(1)
    refused = admin.post("/tools/integrations/xero/organisation", {"tenant_id": nz}, follow_redirects=True)
    assert "BrightManager is integrated with Demo Company (UK): choose it to reconnect." in html(refused)
    db.session.expire_all()
    assert db.session.scalar(select(XeroConnection).where(XeroConnection.tenant_id == nz)) is None
    assert db.session.get(XeroConnection, first.id).status == ("disconnected" if soft_disconnected else "connected")
    assert live_links() == links
    uk = re.search(r'<option value="([^"]+)" selected>Demo Company \(UK\)<', html(refused)).group(1)
    admin.post("/tools/integrations/xero/organisation", {"tenant_id": uk})
    db.session.expire_all()
    assert db.session.get(XeroConnection, first.id).status == "connected"


def live_links():
    return set(db.session.execute(select(ContactLink.client_id, ContactLink.tenant_id, ContactLink.contact_id)
                                  .where(ContactLink.archived_at.is_(None))))


def connection_lookups(statements):
    return [s for s in statements if "FROM xero_connections" in s and "xero_connections.id =" not in s]


def test_a_page_looks_up_the_connection_once_and_again_after_a_change(integrated, admin, app):
    """Banners, panels and actions all ask for the connection; a page reads it once."""
    from sqlalchemy import event

    from plugins.xero.connection import active_connection

    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    client_id = client_named("Patel & Sons Limited").id
    admin.post(f"/tools/integrations/xero/contacts/{contact_id_of('Patel and Sons Ltd')}/merge",
               {"client_id": client_id, "use": "practice"})
    assert db.session.scalar(select(ContactLink.client_id).where(ContactLink.client_id == client_id))
    for page in (f"/clients/{client_id}", "/tools/integrations/xero/", "/invoices/"):
        statements.clear()
        assert admin.get(page).status_code == 200
        assert len(connection_lookups(statements)) == 1, page
    with app.test_request_context():
        connection = active_connection()
        connection.status = "pending"  # not flushed yet: the next lookup sees it
        assert active_connection() is None
        db.session.rollback()
        assert active_connection().id == connection.id
        db.session.delete(db.session.get(XeroConnection, connection.id))
        db.session.flush()
        assert active_connection() is None
        db.session.rollback()
