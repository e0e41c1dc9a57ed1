"""Fixtures for the Xero plugin: the sandbox over HTTP, a user clicking through Xero's pages,
a custom connection acting as "someone working in Xero", and a burst worker.
"""
import re
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from bm.extensions import db
from bm.jobs import redis_connection
from bm.testing import Browser
from bm.worker import run_worker
from plugins.xero.models import XeroConnection
from xero_sandbox.server import SandboxServer

from .support import create_demo_clients
from .variants import parametrize_variants

CALLBACK = "http://localhost/tools/integrations/xero/callback"


@pytest.fixture(scope="session")
def sandbox_server():
    with SandboxServer(redirect_uris=[CALLBACK]) as server:
        yield server


def pytest_generate_tests(metafunc):
    parametrize_variants(metafunc)


@pytest.fixture
def sandbox_variant(request):
    """The variant switches a ``variants`` test runs under ({} otherwise)."""
    return getattr(request, "param", {})


@pytest.fixture
def sandbox(sandbox_server, sandbox_variant):
    """The sandbox in its demo state with Xero's real limits and no faults, playing the variant."""
    sandbox_server.reset()
    if sandbox_variant:
        sandbox_server.set_variants(**sandbox_variant)
    return sandbox_server


@pytest.fixture
def app_config(sandbox, app_config):
    return {**app_config, "XERO_BASE_URL": sandbox.url, "XERO_CLIENT_ID": "sandbox-app",
            "XERO_CLIENT_SECRET": "sandbox-secret", "XERO_HTTP_BACKOFF": 0.01, "XERO_HTTP_TIMEOUT": 5}


@pytest.fixture
def queues(app):
    """Empty job queues, and a function that runs every queued job in a burst worker."""
    redis_connection(app).flushdb()

    def work():
        db.session.commit()  # the test's own session must not hold SQLite's write lock
        run_worker(app, burst=True)
        db.session.expire_all()

    return work


class XeroUser:
    """A person in a browser on Xero's pages (the sandbox): logs in and allows access."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.http = requests.Session()

    def allow_access(self, authorize_url, organisation="Demo Company (UK)"):
        """Follow the app's redirect to Xero, log in, pick the organisation, Allow access.

        :return: the path and query of the app's callback that Xero redirects back to.
        """
        page = self.http.get(authorize_url)
        if "Allow access" not in page.text:
            parts = urlsplit(page.url)
            next_field = re.search(r'name="next" value="([^"]*)"', page.text)
            page = self.http.post(f"{self.base_url}/login", data={
                "email": "xero@example.com", "password": "xero",
                "next": next_field.group(1).replace("&amp;", "&") if next_field else parts.path + "?" + parts.query})
        assert "Allow access" in page.text, page.text[:800]
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        form = {key: value.replace("&amp;", "&") for key, value in form.items()}
        tenant = re.search(r'<option value="([^"]+)"[^>]*>' + re.escape(organisation) + "<", page.text).group(1)
        answer = self.http.post(f"{self.base_url}/identity/connect/authorize",
                                data={**form, "tenant_id": tenant, "decision": "allow"}, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:800]
        location = urlsplit(answer.headers["Location"])
        return f"{location.path}?{location.query}"

    def disconnect_app(self):
        """Settings > Connected apps > Disconnect, as a Xero user cuts an app off."""
        page = self.http.get(f"{self.base_url}/Settings/ConnectedApps")
        action = re.search(r'action="(/Settings/ConnectedApps/[^"]+/Disconnect)"', page.text).group(1)
        assert self.http.post(f"{self.base_url}{action}").status_code < 400

    def open(self, url):
        """Follow a link into Xero (an "Open in Xero" deep link) and return the page."""
        return self.http.get(url)


@pytest.fixture
def colleague(app, make_user):
    """A staff member in a browser of their own, beside ``admin``'s."""
    make_user("staff@example.com", "staff")
    browser = Browser(app.test_client())
    browser.login("staff@example.com")
    return browser


@pytest.fixture
def xero_user(sandbox):
    return XeroUser(sandbox.url)


@pytest.fixture
def integrate(admin, xero_user, queues):
    """Integrate with Xero as the article says; run the first sync unless told not to."""

    def steps(organisation="Demo Company (UK)", first_sync=True):
        start = admin.get("/tools/integrations/xero/connect")
        assert start.status_code == 302
        callback = xero_user.allow_access(start.headers["Location"], organisation)
        chosen = admin.get(callback)
        assert chosen.headers["Location"].endswith("/tools/integrations/xero/organisation"), chosen.get_data(as_text=True)
        page = admin.get("/tools/integrations/xero/organisation")
        tenant = re.search(r'<option value="([^"]+)"[^>]*>' + re.escape(organisation) + "<", page.get_data(as_text=True)).group(1)
        admin.post("/tools/integrations/xero/organisation", {"tenant_id": tenant})
        if first_sync:
            queues()
        return db.session.scalar(select(XeroConnection).where(XeroConnection.tenant_id == tenant))

    return steps


@pytest.fixture
def demo_clients(app):
    """The demo practice's clients (bm.demo.DEMO_CLIENTS), before any integration."""
    create_demo_clients()


@pytest.fixture
def integrated(integrate, demo_clients):
    """The demo clients, integrated with Demo Company (UK) and through the first sync."""
    return integrate()


class InXero:
    """Someone working in the organisation in Xero (a custom connection to Demo Company (UK))."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        self.sign_in()

    def sign_in(self):
        token = self.http.post(f"{self.base_url}/connect/token", data={"grant_type": "client_credentials"},
                               auth=("sandbox-app", "sandbox-secret")).json()
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def call(self, method, path, **kwargs):
        response = self.http.request(method, f"{self.base_url}/api.xro/2.0/{path}", timeout=30, **kwargs)
        if response.status_code == 401:  # the sandbox clock moved past the token's 30 minutes
            self.sign_in()
            response = self.http.request(method, f"{self.base_url}/api.xro/2.0/{path}", timeout=30, **kwargs)
        assert response.status_code < 300, response.text[:800]
        return response.json()

    def contact_named(self, name):
        found = self.call("GET", "Contacts", params={"where": f'Name=="{name}"', "includeArchived": "true"})["Contacts"]
        return found[0] if found else None

    def contacts(self):
        return self.call("GET", "Contacts", params={"includeArchived": "true", "page": 1, "pageSize": 1000})["Contacts"]

    def contacts_all(self):
        """Every contact, archived ones included, reading all pages."""
        found, page = [], 1
        while True:
            batch = self.call("GET", "Contacts", params={"includeArchived": "true", "page": page, "pageSize": 1000})["Contacts"]
            found += batch
            if len(batch) < 1000:
                return found
            page += 1

    def create_contact(self, **fields):
        return self.call("PUT", "Contacts", json={"Contacts": [fields]})["Contacts"][0]

    def update_contact(self, contact_id, **fields):
        return self.call("POST", f"Contacts/{contact_id}", json={"Contacts": [{"ContactID": contact_id, **fields}]})["Contacts"][0]

    def raise_invoice(self, contact_id, amount="100.00", status="AUTHORISED"):
        return self.call("PUT", "Invoices", json={"Invoices": [{
            "Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": status,
            "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}]}]})["Invoices"][0]


@pytest.fixture
def in_xero(sandbox):
    return InXero(sandbox.url)


@pytest.fixture
def sync_now(admin, queues):
    """Click Sync Now and let a worker run the sync; return the Xero page afterwards."""

    def click():
        admin.post("/tools/integrations/xero/sync")
        queues()
        return admin.get("/tools/integrations/xero/").get_data(as_text=True)

    return click
