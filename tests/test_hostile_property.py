"""The property: whatever anyone sends to any URL of the app, the answer is never a 5xx, and a
refused request changes nothing saved (tests/hostile.py walks the URL map)."""
import pytest

from bm import services
from bm.extensions import db
from hostile import walk


@pytest.fixture
def app_config(app_config):
    # Any call the Xero plugin tries goes to a closed local port: never out to the network.
    return {**app_config, "XERO_BASE_URL": "http://127.0.0.1:9", "XERO_CLIENT_ID": "hostile",
            "XERO_CLIENT_SECRET": "hostile"}


@pytest.fixture
def world(app, make_user, make_client, make_invoice):
    """A little of everything, so real ids reach the views' deeper code."""
    staff = make_user("staff@example.com")
    make_user("admin@example.com", "admin")
    client = make_client(name="Acme Ltd", email="acme@example.com")
    archived = make_client(name="Old Co")
    services.set_client_archived(archived, True)
    draft = make_invoice(client=client)
    approved = make_invoice(client=client)
    services.approve_invoice(approved)
    db.session.commit()
    return {"client_id": [client.id, archived.id], "invoice_id": [draft.id, approved.id], "user_id": [staff.id],
            "run_id": [1], "batch_id": [1]}


@pytest.mark.parametrize("who", ["anonymous", "staff", "admin"])
def test_no_input_gives_a_5xx_and_a_refusal_changes_nothing(app, world, who):
    walked, _sent = walk(app, world, who)
    assert walked > 50
