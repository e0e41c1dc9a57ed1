"""A create batch sent again carries the Idempotency-Key saved before its first send, so Xero
creates it once even where its unique-name rule would not stop a second copy (invoices).

The sandbox logs every write with the key it carried (``stats()["writes"]``).
"""
import pytest
from sqlalchemy import select

from bm import services
from bm.extensions import db
from plugins.xero.models import OutboxEntry, WriteBatch

from .conftest import (all_clients, duplicates_and_losses, invoice_duplicates_and_losses, invoices_in_xero,
                       invoices_waiting_for_xero, sync_until_settled)

pytestmark = pytest.mark.reliability
HOLD = 6  # seconds Xero holds the first send: the resend arrives while it is still inside Xero


@pytest.fixture
def app_config(app_config):
    return {**app_config, "XERO_SYNC_LOCK_SECONDS": 2}


def keys_sent(sandbox, endpoint):
    return [write["idempotency_key"] for write in sandbox.stats()["writes"] if write["endpoint"] == endpoint]


def saved_keys(kind):
    db.session.expire_all()
    return [batch.idempotency_key for batch in db.session.scalars(
        select(WriteBatch).where(WriteBatch.kind == kind).order_by(WriteBatch.id))]


def add_clients(count):
    for number in range(count):
        services.create_client({"name": f"Keyed {number:02d}"})
    db.session.commit()
    return all_clients()[-count:]


def test_a_batch_resent_after_a_crash_carries_the_key_saved_before_the_first_send(
        integrate, sandbox, worker, in_xero):
    integrate()
    clients = add_clients(10)
    sandbox.reset_stats()
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": HOLD}])
    worker.start()
    worker.reaches("PUT /api.xro/2.0/Contacts")
    worker.kill()
    worker.killed_run()
    sandbox.set_faults()
    sync_until_settled()  # resends the saved batch while the first send is still held inside Xero
    sandbox.wait_for_calls_in_flight(0)
    sync_until_settled()
    assert keys_sent(sandbox, "PUT /api.xro/2.0/Contacts") == saved_keys("contact-create") * 2
    assert duplicates_and_losses(in_xero.contacts_all(), clients) == (0, 0)
    assert not db.session.scalars(select(OutboxEntry).where(OutboxEntry.state == "attention")).all()


def test_a_batch_every_try_of_which_was_lost_is_resent_with_its_saved_key(integrate, sandbox, in_xero):
    integrate()
    clients = add_clients(5)
    sandbox.reset_stats()
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "reset": 1.0}])
    sync_until_settled(max_runs=1)  # every try dropped before Xero did anything: no answer at all
    tries = len(keys_sent(sandbox, "PUT /api.xro/2.0/Contacts"))
    sandbox.set_faults()
    sync_until_settled()
    assert tries > 1
    assert keys_sent(sandbox, "PUT /api.xro/2.0/Contacts") == saved_keys("contact-create") * (tries + 1)
    assert duplicates_and_losses(in_xero.contacts_all(), clients) == (0, 0)


def test_invoices_resent_after_a_crash_are_created_in_xero_once(integrate, admin, sandbox, worker, in_xero):
    numbers = invoices_waiting_for_xero(integrate, admin, in_xero, 5)
    sandbox.reset_stats()
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Invoices", "timeout": 1.0, "timeout_seconds": HOLD}])
    worker.start()
    worker.reaches("PUT /api.xro/2.0/Invoices")
    worker.kill()
    worker.killed_run()
    sandbox.set_faults()
    sync_until_settled()  # resends the saved batch while the first send is still held inside Xero
    sandbox.wait_for_calls_in_flight(0)
    sync_until_settled()
    assert invoice_duplicates_and_losses(invoices_in_xero(in_xero), numbers) == (0, 0)
    assert keys_sent(sandbox, "PUT /api.xro/2.0/Invoices") == saved_keys("invoice-create") * 2
