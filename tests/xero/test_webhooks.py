"""Xero webhooks: signed deliveries answered at once, and a targeted sync of what changed."""
import base64
import hashlib
import hmac
import json
import threading

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from bm import services
from bm.extensions import db
from bm.models import Client
from plugins.xero.models import SyncRun

KEY = "webhook-signing-key-for-tests"
HOOK = "/tools/integrations/xero/webhooks"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "XERO_WEBHOOK_KEY": KEY}


@pytest.fixture
def served(app):
    """The practice app on a real port, so the sandbox can deliver webhooks to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def sign(body, key=KEY):
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def deliver(url, payload, key=KEY):
    body = json.dumps(payload).encode()
    return requests.post(url + HOOK, data=body, headers={"x-xero-signature": sign(body, key),
                                                          "Content-Type": "application/json"})


def test_a_badly_signed_delivery_gets_401_and_a_good_one_an_empty_200(served):
    intent = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "ABC"}
    assert deliver(served, intent, key="wrong key").status_code == 401
    unsigned = requests.post(served + HOOK, data=json.dumps(intent))
    assert unsigned.status_code == 401
    good = deliver(served, intent)
    assert good.status_code == 200 and good.content == b"" and "Set-Cookie" not in good.headers


def test_xeros_intent_to_receive_check_passes(served, sandbox):
    answer = sandbox.subscribe_webhooks(served + HOOK, KEY)
    assert answer.get("status", answer.get("Status", "")).upper() in ("OK", "ENABLED", "ACTIVE") or answer.get("enabled")


def test_a_contact_changed_in_xero_reaches_the_practice_through_a_webhook(
        served, sandbox, integrate, admin, in_xero, queues, sync_now):
    services.create_client({"name": "Webhook Ltd", "email": "old@webhook.example"})
    db.session.commit()
    integrate()
    contact = in_xero.create_contact(Name="Webhook Ltd", EmailAddress="old@webhook.example")
    sync_now()
    admin.post(f"/tools/integrations/xero/contacts/{contact['ContactID']}/merge",
               {"client_id": db.session.scalar(select(Client.id).where(Client.name == "Webhook Ltd")), "use": "xero"})
    queues()
    sandbox.subscribe_webhooks(served + HOOK, KEY)
    sandbox.reset_stats()
    in_xero.update_contact(contact["ContactID"], EmailAddress="new@webhook.example")
    sandbox.flush_webhooks()
    queues()
    db.session.expire_all()
    assert db.session.scalar(select(Client.email).where(Client.name == "Webhook Ltd")) == "new@webhook.example"
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run.trigger == "webhook" and run.state == "finished"
    calls = sandbox.stats()["calls"]
    assert calls.get("GET /api.xro/2.0/Contacts") == 1  # the one contact, fetched by id


def test_only_this_organisations_contact_and_invoice_events_count():
    from plugins.xero.webhooks import changed_records

    payload = {"events": [
        {"tenantId": "T1", "eventCategory": "CONTACT", "eventType": "Update", "resourceId": "c1"},
        {"tenantId": "t1", "eventCategory": "invoice", "eventType": "CREATE", "resourceId": "i1"},
        {"tenantId": "T2", "eventCategory": "CONTACT", "eventType": "UPDATE", "resourceId": "c2"},
        {"tenantId": "T1", "eventCategory": "CREDITNOTE", "eventType": "UPDATE", "resourceId": "n1"},
        "junk",
    ]}
    assert changed_records(payload, "T1") == ({"c1"}, True)
    assert changed_records({"events": "nonsense"}, "T1") == (set(), False)
