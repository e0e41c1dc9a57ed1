"""Redis down: the practice keeps working; sync work waits in the outbox until Redis is back."""
import pytest

from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import Client
from plugins.xero.models import OutboxEntry

from .conftest import duplicates_and_losses, sync_until_settled

pytestmark = pytest.mark.reliability
DEAD_REDIS = "redis://127.0.0.1:1/0"


def use_redis(app, url):
    app.config["REDIS_URL"] = url
    app.extensions["bm.jobs"]["redis"] = None


def test_with_redis_down_clients_and_invoices_still_save_and_the_work_waits(
        app, integrate, admin, in_xero, sandbox, report):
    integrate()
    live = app.config.get("REDIS_URL") or f"unix://{redis_connection(app).socket_file}"
    use_redis(app, DEAD_REDIS)

    assert admin.post("/clients/new", {"name": "Saved Without Redis"}).status_code == 302
    client = db.session.scalar(db.select(Client).where(Client.name == "Saved Without Redis"))
    edited = admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "version": client.version,
                                                       "email": "ok@without-redis.example"})
    assert edited.status_code == 302
    invoice = admin.post("/invoices/new", {"client_id": client.id, "date": "2026-11-26",
                                           "lines-0-description": "Advice", "lines-0-quantity": "1",
                                           "lines-0-unit_price": "90", "lines-0-tax_rate": "20"})
    assert invoice.status_code == 302
    page = admin.post("/tools/integrations/xero/sync", follow_redirects=True).get_data(as_text=True)
    assert "background workers cannot be reached" in page
    waiting = db.session.scalar(db.select(OutboxEntry).where(OutboxEntry.object_id == client.id))
    assert waiting.state == "pending"

    use_redis(app, live)
    runs = sync_until_settled()
    contacts = in_xero.contacts_all()
    duplicates, lost = duplicates_and_losses(contacts, [client])
    edits_lost = sum(1 for contact in contacts if contact.get("ContactNumber") == client.reference
                     and contact.get("EmailAddress") != "ok@without-redis.example")
    report("Redis unreachable while a client is created and edited", "Redis down", runs, 1, duplicates,
           lost + edits_lost)
    assert (duplicates, lost, edits_lost) == (0, 0, 0)

