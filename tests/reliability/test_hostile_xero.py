"""Hostile data from Xero: a bad record is logged as failed with the reason; the rest carries on.

A small HTTP server stands in for a misbehaving Xero here (the sandbox is always well-formed);
the plugin talks to it over real HTTP through its usual XeroClient.
"""
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bm import services
from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import utcnow
from plugins.xero.models import ContactLink, SyncRun, XeroConnection, XeroContact
from plugins.xero.oauth import client_for, encrypt_tokens
from plugins.xero.sync.engine import run_sync

pytestmark = pytest.mark.reliability
NO_DUPLICATES_POSSIBLE = "–"  # a pull from a stand-in server writes nothing there to double
GOOD = {"ContactID": "11111111-1111-1111-1111-111111111111", "Name": "Good Contact Ltd",
        "ContactStatus": "ACTIVE", "IsCustomer": True, "UpdatedDateUTC": "/Date(1764000000000+0000)/"}


class HostileXero:
    """Answers the Accounting API with whatever body the test sets for each path."""

    def __init__(self):
        self.bodies = {}
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wsgi(self, environ, start_response):
        request = Request(environ)
        body = self.bodies.get(request.path.rsplit("/", 1)[-1], '{"Invoices": []}')
        if request.args.get("page", "1") != "1":
            body = '{"Contacts": [], "Invoices": []}'
        return Response(body, 200, {"X-MinLimit-Remaining": "59", "Content-Type": "application/json"})(
            environ, start_response)


@pytest.fixture
def hostile(app):
    xero = HostileXero()
    app.config.update(XERO_BASE_URL=xero.url, XERO_CLIENT_ID="app", XERO_CLIENT_SECRET="secret",
                      XERO_HTTP_BACKOFF=0.01)
    connection = XeroConnection(tenant_id="hostile-tenant", organisation_name="Hostile Ltd", status="connected",
                                encrypted_tokens=encrypt_tokens({"access_token": "a", "refresh_token": "r"}),
                                access_expires_at=utcnow() + timedelta(hours=1))
    db.session.add(connection)
    db.session.commit()
    yield xero, connection
    xero.server.shutdown()


def sync(connection):
    db.session.commit()
    return run_sync(client_for(connection), connection.id, redis_connection(), trigger="test")


def contacts_page(*contacts):
    return json.dumps({"Contacts": list(contacts)})


def runs_started():
    return db.session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.started_at.is_not(None)))


def stored_ids():
    return set(db.session.scalars(select(XeroContact.contact_id)))


@pytest.mark.parametrize("bad, reason", [
    ({"Name": "No id"}, "no ContactID"),
    ("just a string", "not a JSON object"),
    ({"ContactID": "x1", "Name": 12345}, "Name is not text"),
    ({"ContactID": "x2", "Name": "Bad date", "UpdatedDateUTC": "yesterday-ish"}, "unreadable UpdatedDateUTC"),
])
def test_a_malformed_contact_is_logged_and_skipped(hostile, bad, reason, report):
    xero, connection = hostile
    xero.bodies["Contacts"] = contacts_page(bad, GOOD)
    run = sync(connection)
    stored = stored_ids()
    extra, lost = len(stored - {GOOD["ContactID"]}), len({GOOD["ContactID"]} - stored)  # only the good one is kept
    accounted = len(stored) + sum(error["message"].startswith("Skipped a contact") for error in run.errors)
    report(f"Hostile contact: {reason}", "malformed record", runs_started(), accounted, NO_DUPLICATES_POSSIBLE, lost)
    assert run.state == "finished"
    assert any(reason in error["message"] for error in run.errors)
    assert (extra, lost) == (0, 0)


def test_extra_fields_unknown_enums_huge_strings_and_both_date_forms_are_taken_in_stride(hostile):
    xero, connection = hostile
    weird = {"ContactID": "22222222-2222-2222-2222-222222222222", "Name": "W" * 300_000,
             "ContactStatus": "SOMETHING_NEW", "IsCustomer": "yes", "FutureField": {"nested": [1, 2]},
             "Phones": [{"PhoneType": "SATELLITE", "PhoneNumber": "123"}, "not a phone"],
             "Addresses": [{"AddressType": "MOON", "City": "Tranquility"}, None],
             "UpdatedDateUTC": "2026-11-01T10:00:00"}
    xero.bodies["Contacts"] = contacts_page(weird, GOOD)
    run = sync(connection)
    assert run.state == "finished", run.message
    stored = db.session.get(XeroContact, weird["ContactID"])
    assert len(stored.name) == 255 and stored.updated_date_utc.year == 2026


def test_changes_xero_sends_for_a_linked_client_that_break_our_rules_are_skipped(hostile):
    xero, connection = hostile
    client = services.create_client({"name": "Linked Client"})
    db.session.add(ContactLink(client=client, tenant_id="hostile-tenant", contact_id=GOOD["ContactID"],
                               snapshot={"name": "Linked Client"}))
    db.session.commit()
    xero.bodies["Contacts"] = contacts_page({**GOOD, "Name": "N" * 1000, "EmailAddress": "not an email"})
    run = sync(connection)
    assert run.state == "finished"
    assert any("Skipped Xero's changes to Linked Client" in error["message"] for error in run.errors)
    db.session.expire_all()
    assert db.session.get(type(client), client.id).name == "Linked Client"


def test_an_unreadable_page_fails_the_run_with_the_reason_and_loses_nothing(hostile, report):
    xero, connection = hostile
    xero.bodies["Contacts"] = '{"Contacts": [ {"ContactID": "trunc'
    run = sync(connection)
    skipped = db.session.get(XeroConnection, connection.id).contacts_modified_since is not None  # never read again
    report("Hostile page: truncated JSON", "malformed JSON", runs_started(), len(stored_ids()), NO_DUPLICATES_POSSIBLE,
           int(skipped))
    assert run.state == "failed" and "not valid JSON" in run.message
    assert not skipped


def test_a_page_of_the_wrong_shape_fails_cleanly(hostile):
    xero, connection = hostile
    xero.bodies["Contacts"] = '"a string, not an object"'
    run = sync(connection)
    assert run.state == "failed" and "unexpected shape" in run.message
    assert db.session.scalar(select(SyncRun.state).order_by(SyncRun.id.desc())) == "failed"
