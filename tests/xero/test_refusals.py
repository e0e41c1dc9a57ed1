"""Issue 14 item 4: what Xero's 401 or 403 means, and what the practice is told to do about it.

An expired token is refreshed; a revoked authorisation or an organisation Xero no longer lists
disconnects (Reconnect); a scope the connection lacks, a user role that may not write, or a 403
Xero does not explain stops the run and keeps the connection, saying what to do.
"""
from html import unescape

import pytest
import requests
from sqlalchemy import select

from bm.extensions import db
from plugins.xero.models import SyncRun, XeroConnection
from plugins.xero.oauth import decrypt_tokens, encrypt_tokens

from .support import client_named

NO_CONTACTS_SCOPE = "offline_access accounting.settings.read accounting.invoices accounting.payments"


def last_run():
    return db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))


def connection():
    db.session.expire_all()
    return db.session.scalar(select(XeroConnection))


def test_an_expired_access_token_is_refreshed_and_the_run_goes_on(integrated, sandbox, sync_now):
    sandbox.advance_clock(31 * 60)  # Xero's clock: the 30-minute token has expired, ours does not know yet
    sync_now()
    assert last_run().state == "finished" and connection().status == "connected"


def test_a_revoked_authorisation_disconnects_and_asks_for_reconnect(integrated, sandbox, sync_now):
    refresh_token = decrypt_tokens(connection().encrypted_tokens)["refresh_token"]
    assert requests.post(f"{sandbox.url}/connect/revocation", data={"token": refresh_token},
                         auth=("sandbox-app", "sandbox-secret"), timeout=10).status_code == 200
    page = unescape(sync_now())
    assert connection().status == "disconnected" and last_run().state == "failed"
    assert "Reconnect" in last_run().message and "Reconnect Xero Integration" in page


def test_an_organisation_disconnected_in_xero_says_so_and_asks_for_reconnect(integrated, xero_user, sync_now):
    xero_user.disconnect_app()
    sync_now()
    assert connection().status == "disconnected"
    assert last_run().message.startswith("Xero says this organisation is no longer connected to BrightManager")
    assert "Reconnect Xero Integration" in last_run().message


@pytest.mark.parametrize("answer", ["401", "403"])
def test_a_scope_the_connection_lacks_stops_the_run_and_keeps_the_connection(
        app, integrate, demo_clients, sandbox, sync_now, answer):
    app.config["XERO_SCOPES"] = NO_CONTACTS_SCOPE
    sandbox.set_variants(missing_scope=answer)
    integrate(first_sync=False)
    page = unescape(sync_now())
    assert connection().status == "connected" and last_run().state == "stopped"
    message = last_run().message
    assert message.startswith("Xero did not let BrightManager read contacts: the connection was not given that "
                              "permission (accounting.contacts or accounting.contacts.read in Xero's terms).")
    assert "Reconnect Xero Integration" in message and "XERO_SCOPES" in message and message in page


def test_a_403_xero_does_not_explain_keeps_the_connection_while_xero_lists_the_organisation(
        app, integrate, demo_clients, sandbox, sync_now):
    app.config["XERO_SCOPES"] = NO_CONTACTS_SCOPE
    sandbox.set_variants(missing_scope="403")
    integrate(first_sync=False)
    held = connection()
    tokens = decrypt_tokens(held.encrypted_tokens)
    tokens.pop("scope")  # a token set that does not say what it was granted: the 403 cannot be told apart
    held.encrypted_tokens = encrypt_tokens(tokens)
    db.session.commit()
    sync_now()
    assert connection().status == "connected" and last_run().state == "stopped"
    assert last_run().message.startswith("Xero refused access to the organisation (AuthenticationUnsuccessful) "
                                         "although it lists it as connected.")


@pytest.mark.parametrize("role", ["read_only", "read_only_401"])
def test_a_user_role_that_may_not_write_stops_the_run_and_the_client_goes_once_it_may(
        integrated, admin, sandbox, sync_now, in_xero, role):
    sandbox.set_variants(user_role=role)
    admin.post("/clients/new", {"name": "Queued For A Standard User"})
    sync_now()
    assert connection().status == "connected" and last_run().state == "stopped"
    message = last_run().message
    assert message.startswith("Xero did not let BrightManager change contacts: the Xero user who connected it does "
                              "not have a role that may (Xero said: “You are not permitted")
    assert "Standard role or higher" in message
    assert in_xero.contact_named("Queued For A Standard User") is None
    panel = unescape(admin.get(f"/clients/{client_named('Queued For A Standard User').id}").get_data(as_text=True))
    assert f"Waiting to go to Xero, but the last sync stopped: {message}" in panel
    sandbox.set_variants(user_role="adviser")
    sync_now()
    assert last_run().state == "finished"
    assert len([c for c in in_xero.contacts() if c["Name"] == "Queued For A Standard User"]) == 1
