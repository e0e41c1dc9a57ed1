"""Webhooks: intent-to-receive, signed deliveries of CONTACT and INVOICE events, retries."""
import base64
import hashlib
import hmac
import json
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

KEY = "webhook-signing-key"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class Receiver:
    """A tiny webhook endpoint that checks signatures the way Xero's docs ask."""

    def __init__(self, honest=True, failures=0):
        self.honest, self.failures, self.payloads = honest, failures, []
        self.server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/xero"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        expected = base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest()).decode()
        good = hmac.compare_digest(expected, request.headers.get("x-xero-signature", ""))
        if not good and self.honest:
            return Response(status=401)(environ, start_response)
        payload = json.loads(body)
        if payload["events"] and self.failures:
            self.failures -= 1
            return Response(status=500)(environ, start_response)
        if payload["events"]:
            self.payloads.append(payload)
        return Response(status=200)(environ, start_response)

    def events(self):
        return [event for payload in self.payloads for event in payload["events"]]


@pytest.fixture
def receiver():
    made = []

    def make(**options):
        made.append(Receiver(**options))
        return made[-1]
    yield make
    for item in made:
        item.server.shutdown()
        item.server.server_close()


def test_intent_to_receive_enables_only_a_receiver_that_checks_signatures(sandbox, receiver):
    lazy = sandbox.subscribe_webhooks(receiver(honest=False).url, KEY)
    assert lazy["enabled"] is False
    assert [r["status"] for r in lazy["intent_to_receive"]] == [200, 200, 200, 200]
    good = sandbox.subscribe_webhooks(receiver().url, KEY)
    assert good["enabled"] is True
    assert [r["status"] for r in good["intent_to_receive"]] == [200, 401, 200, 401]


def test_contact_and_invoice_events_are_delivered_signed(sandbox, xero, receiver):
    endpoint = receiver()
    sandbox.subscribe_webhooks(endpoint.url, KEY)
    contact = xero.put("Contacts", json={"Name": "Hooked Ltd"}).json()["Contacts"][0]
    xero.post(f"Contacts/{contact['ContactID']}", json={"EmailAddress": "hi@hooked.test"})
    invoice = xero.new_invoice(contact["ContactID"], [{"Description": "x", "Quantity": 1,
                                                       "UnitAmount": 1}]).json()["Invoices"][0]
    assert sandbox.flush_webhooks()["pending"] == 0
    seen = [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in endpoint.events()]
    assert seen == [("CONTACT", "CREATE", contact["ContactID"]),
                    ("CONTACT", "UPDATE", contact["ContactID"]),
                    ("INVOICE", "CREATE", invoice["InvoiceID"])]
    event = endpoint.events()[0]
    assert event["tenantId"] == xero.tenant and event["tenantType"] == "ORGANISATION"
    assert event["resourceUrl"].endswith(f"/api.xro/2.0/Contacts/{contact['ContactID']}")
    payload = endpoint.payloads[0]
    assert {"firstEventSequence", "lastEventSequence", "entropy"} <= set(payload)


def test_failed_deliveries_are_retried(sandbox, xero, receiver):
    endpoint = receiver(failures=2)
    sandbox.subscribe_webhooks(endpoint.url, KEY)
    xero.put("Contacts", json={"Name": "Retry Me"})
    status = sandbox.flush_webhooks(timeout=20)
    assert status["pending"] == 0 and status["failed_attempts"] == 2
    assert [e["eventType"] for e in endpoint.events()] == ["CREATE"]
