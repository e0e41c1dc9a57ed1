"""Driving the sandbox like an app and a user would: OAuth flows and authenticated API calls."""
import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from .conformance import validating_session

CALLBACK = "http://127.0.0.1:5000/tools/integrations/xero/callback"
CLIENT = ("sandbox-app", "sandbox-secret")
SCOPES = ("openid profile email offline_access accounting.contacts accounting.transactions "
          "accounting.settings")


def pkce_pair():
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def log_in(browser, base_url, email="xero@example.com", password="xero"):
    """Log the browser session in through the sandbox's login form."""
    return browser.post(f"{base_url}/login", data={"email": email, "password": password,
                                                   "next": "/Dashboard"})


def authorize(base_url, organisation="Demo Company (UK)", scope=SCOPES, challenge=None,
              browser=None, state="xyz"):
    """Log in and consent as a user; returns the callback query (code, state, scope)."""
    browser = browser or validating_session()
    params = {"response_type": "code", "client_id": CLIENT[0], "redirect_uri": CALLBACK,
              "scope": scope, "state": state}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    url = f"{base_url}/identity/connect/authorize?{urlencode(params)}"
    page = browser.get(url)
    if "/login" in page.url:
        page = browser.post(f"{base_url}/login", data={"email": "xero@example.com",
                                                       "password": "xero",
                                                       "next": urlsplit(url).path + "?" + urlsplit(url).query})
    assert "Allow access" in page.text, page.text[:500]
    tenant = re.search(r'<option value="([^"]+)">' + re.escape(organisation) + "<", page.text).group(1)
    answer = browser.post(f"{base_url}/identity/connect/authorize",
                          data={**params, "tenant_id": tenant, "decision": "allow"},
                          allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def exchange(http, base_url, code, verifier=None, basic=True):
    """POST /connect/token for an authorization code."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    if verifier:
        data["code_verifier"] = verifier
    if basic:
        return http.post(f"{base_url}/connect/token", data=data, auth=CLIENT)
    return http.post(f"{base_url}/connect/token",
                     data={**data, "client_id": CLIENT[0], "client_secret": CLIENT[1]})


def refresh(http, base_url, refresh_token):
    """POST /connect/token with a refresh token (client credentials in the form, as the SDK does)."""
    return http.post(f"{base_url}/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": CLIENT[0], "client_secret": CLIENT[1]})


class XeroApp:
    """An app connected to one organisation: its tokens and authenticated API calls."""

    def __init__(self, base_url, organisation="Demo Company (UK)", scope=SCOPES):
        self.base_url = base_url
        self.http = validating_session()
        callback = authorize(base_url, organisation, scope)
        self.tokens = exchange(self.http, base_url, callback["code"]).json()
        connections = self.http.get(f"{base_url}/connections", headers=self.auth()).json()
        self.tenant = next(c["tenantId"] for c in connections if c["tenantName"] == organisation)
        self.connection_id = next(c["id"] for c in connections if c["tenantId"] == self.tenant)

    def auth(self):
        """The Authorization header."""
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def call(self, method, path, headers=None, **kwargs):
        """An Accounting API call with token, tenant and Accept: application/json."""
        merged = {**self.auth(), "xero-tenant-id": self.tenant, "Accept": "application/json",
                  **(headers or {})}
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, f"{self.base_url}/api.xro/2.0/{path.lstrip('/')}",
                                 headers=merged, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def put(self, path, **kwargs):
        return self.call("PUT", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def contact_named(self, name):
        """The contact with this exact name (searching includes archived ones)."""
        found = self.get("Contacts", params={"where": f'Name=="{name}"', "includeArchived": "true",
                                             "page": 1}).json()["Contacts"]
        return found[0]

    def new_invoice(self, contact_id, lines, status="DRAFT", amount_types="Exclusive", **fields):
        """Create one ACCREC invoice; returns the response."""
        return self.put("Invoices", json={"Invoices": [{
            "Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": status,
            "LineAmountTypes": amount_types, "LineItems": lines, **fields}]})
