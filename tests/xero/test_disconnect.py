"""Issue 14 item 10: the red Disconnect removes the connection in Xero, then revokes with the
refresh token as it is after that call (a refresh on the way rotates it), and says so in words
when Xero did not confirm either step, instead of calling the connection removed."""
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from bm.extensions import db
from bm.models import utcnow
from plugins.xero.models import ContactLink, XeroConnection

from .conftest import CALLBACK
from .support import contact_id_of, flashes, html

XERO = "/tools/integrations/xero"
APP = ("sandbox-app", "sandbox-secret")


def second_organisation(sandbox, xero_user):
    """The same Xero user connects Demo Company (NZ) to the app too (a consent of its own)."""
    query = urlencode({"response_type": "code", "client_id": APP[0], "redirect_uri": CALLBACK, "state": "nz",
                       "scope": "offline_access accounting.contacts"})
    callback = xero_user.allow_access(f"{sandbox.url}/identity/connect/authorize?{query}", "Demo Company (NZ)")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    return requests.post(f"{sandbox.url}/connect/token", auth=APP, timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}).json()


def connected_names(sandbox, tokens):
    return [c["tenantName"] for c in requests.get(
        f"{sandbox.url}/connections", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10).json()]


def disconnect(admin):
    admin.post(f"{XERO}/disconnect", {"confirm": "Demo Company (UK)"})
    return flashes(html(admin.get(f"{XERO}/")))[-1]


def test_disconnect_revokes_with_the_refresh_token_the_delete_rotated(integrated, admin, sandbox, xero_user):
    # A Xero where revoking a rotated-out refresh token revokes nothing: only the current one works.
    sandbox.set_variants(revoke_rotated="ignored")
    other = second_organisation(sandbox, xero_user)
    assert connected_names(sandbox, other) == ["Demo Company (UK)", "Demo Company (NZ)"]
    held = db.session.scalar(select(XeroConnection))
    held.access_expires_at = utcnow() - timedelta(minutes=1)  # due: the DELETE refreshes (and rotates) first
    db.session.commit()
    shown = disconnect(admin)
    assert shown == ("success", "Disconnected from Demo Company (UK): Xero removed the connection and revoked "
                                "BrightManager's access. Client links were removed.")
    # Revoking the user's authorisation removes every connection it made to the app.
    assert connected_names(sandbox, other) == []


@pytest.mark.parametrize("endpoint, sentence", [
    ("POST /connect/revocation", "Xero did not confirm that it revoked BrightManager's access (Xero answered 500)."),
    ("DELETE /connections/{id}", "Xero did not confirm that it removed the connection (Xero answered with an "
                                 "error (500))."),
])
def test_a_step_xero_did_not_confirm_is_reported_and_the_links_are_removed_all_the_same(
        integrated, admin, sandbox, endpoint, sentence):
    admin.post(f"{XERO}/contacts/{contact_id_of('Riverside Yoga Studio')}/create")
    assert db.session.scalar(select(func.count()).select_from(ContactLink)) == 1
    sandbox.set_faults([{"endpoint": endpoint, "error_500": 1.0}])
    shown = disconnect(admin)
    kind, text = shown
    assert kind == "warning" and text.startswith("Client links to Demo Company (UK) were removed here, but ")
    assert sentence in text and "Settings, Connected apps" in text and "revoked BrightManager's access. " not in text
    assert db.session.scalar(select(func.count()).select_from(ContactLink).where(ContactLink.archived_at.is_(None))) == 0
    assert db.session.scalar(select(XeroConnection)).status == "removed"
