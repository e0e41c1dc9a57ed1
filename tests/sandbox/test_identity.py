"""Identity: the code flow with PKCE, rotation with grace, client credentials, revocation, connections."""
import requests

from .conformance import validating_session
from .helpers import CALLBACK, CLIENT, XeroApp, authorize, exchange, pkce_pair, refresh


def test_code_flow_with_pkce_gives_tokens_and_a_connection(sandbox):
    verifier, challenge = pkce_pair()
    callback = authorize(sandbox.url, challenge=challenge)
    assert callback["state"] == "xyz"
    http = validating_session()
    tokens = exchange(http, sandbox.url, callback["code"], verifier=verifier, basic=False).json()
    assert tokens["expires_in"] == 1800 and tokens["token_type"] == "Bearer"
    assert tokens["refresh_token"] and tokens["id_token"]
    connections = http.get(f"{sandbox.url}/Connections",
                           headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert [c["tenantName"] for c in connections] == ["Demo Company (UK)"]


def test_code_is_single_use_and_pkce_verifier_must_match(sandbox):
    verifier, challenge = pkce_pair()
    http = validating_session()
    code = authorize(sandbox.url, challenge=challenge)["code"]
    wrong = exchange(http, sandbox.url, code, verifier="x" * 43)
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    code = authorize(sandbox.url, challenge=challenge)["code"]
    assert exchange(http, sandbox.url, code, verifier=verifier).status_code == 200
    assert exchange(http, sandbox.url, code, verifier=verifier).json() == {"error": "invalid_grant"}


def test_wrong_client_secret_is_invalid_client(sandbox):
    code = authorize(sandbox.url)["code"]
    answer = requests.post(f"{sandbox.url}/connect/token", auth=(CLIENT[0], "nope"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK})
    assert answer.status_code == 401 and answer.json() == {"error": "invalid_client"}


def test_authorize_refuses_unknown_redirect_uri_and_reports_bad_scope(sandbox):
    browser = validating_session()
    browser.post(f"{sandbox.url}/login", data={"email": "xero@example.com", "password": "xero"})
    page = browser.get(f"{sandbox.url}/identity/connect/authorize", params={
        "response_type": "code", "client_id": "sandbox-app", "redirect_uri": "http://evil.test/cb",
        "scope": "openid", "state": "s"})
    assert page.status_code == 400 and "Invalid redirect_uri" in page.text
    bad_scope = browser.get(f"{sandbox.url}/identity/connect/authorize", params={
        "response_type": "code", "client_id": "sandbox-app", "redirect_uri": CALLBACK,
        "scope": "openid accounting.everything", "state": "s"}, allow_redirects=False)
    assert bad_scope.headers["Location"].startswith(CALLBACK + "?error=invalid_scope")


def test_refresh_rotates_and_a_reused_token_works_only_within_the_grace(sandbox, xero):
    http, first = xero.http, xero.tokens["refresh_token"]
    rotated = refresh(http, sandbox.url, first).json()
    assert rotated["refresh_token"] != first
    sandbox.advance_clock(20 * 60)
    assert refresh(http, sandbox.url, first).status_code == 200, "lost response: retry in grace"
    sandbox.advance_clock(11 * 60)
    reused = refresh(http, sandbox.url, first)
    assert reused.status_code == 400 and reused.json() == {"error": "invalid_grant"}
    assert refresh(http, sandbox.url, rotated["refresh_token"]).status_code == 200


def test_access_token_expires_after_30_minutes(sandbox, xero):
    assert xero.get("Organisation").status_code == 200
    sandbox.advance_clock(30 * 60 + 1)
    expired = xero.get("Organisation")
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired: token expired at ")


def test_refresh_token_expires_after_60_days_unused(sandbox, xero):
    sandbox.advance_clock(61 * 24 * 3600)
    assert refresh(xero.http, sandbox.url, xero.tokens["refresh_token"]).json() == {
        "error": "invalid_grant"}


def test_client_credentials_is_a_custom_connection_to_the_first_organisation(sandbox):
    http = validating_session()
    token = http.post(f"{sandbox.url}/connect/token", data={"grant_type": "client_credentials"},
                      auth=CLIENT).json()
    assert "refresh_token" not in token
    organisation = http.get(f"{sandbox.url}/api.xro/2.0/Organisation", headers={
        "Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"})
    assert organisation.json()["Organisations"][0]["Name"] == "Demo Company (UK)"


def test_revocation_kills_the_token_set_and_connections(sandbox, xero):
    answer = xero.http.post(f"{sandbox.url}/connect/revocation", auth=CLIENT,
                            data={"token": xero.tokens["refresh_token"]})
    assert answer.status_code == 200
    assert xero.get("Organisation").status_code == 401
    assert refresh(xero.http, sandbox.url, xero.tokens["refresh_token"]).json() == {
        "error": "invalid_grant"}


def test_deleting_a_connection_cuts_the_tenant_off(sandbox, xero):
    gone = xero.http.delete(f"{sandbox.url}/connections/{xero.connection_id}", headers=xero.auth())
    assert gone.status_code == 204 and gone.content == b""
    assert xero.http.delete(f"{sandbox.url}/connections/{xero.connection_id}",
                            headers=xero.auth()).status_code == 404
    assert xero.get("Contacts").status_code == 403
    assert xero.http.get(f"{sandbox.url}/connections", headers=xero.auth()).json() == []
    assert refresh(xero.http, sandbox.url, xero.tokens["refresh_token"]).json() == {
        "error": "invalid_grant"}


def test_connections_filter_by_auth_event(sandbox):
    uk, nz = XeroApp(sandbox.url), XeroApp(sandbox.url, "Demo Company (NZ)")
    everything = uk.http.get(f"{sandbox.url}/connections", headers=nz.auth()).json()
    assert {c["tenantName"] for c in everything} == {"Demo Company (UK)", "Demo Company (NZ)"}
    event = next(c["authEventId"] for c in everything if c["tenantName"] == "Demo Company (NZ)")
    only = uk.http.get(f"{sandbox.url}/connections", params={"authEventId": event},
                       headers=nz.auth()).json()
    assert [c["tenantName"] for c in only] == ["Demo Company (NZ)"]
