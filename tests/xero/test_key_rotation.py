"""BM_ENCRYPTION_KEY rotated ("new,old"): Xero stays connected and its tokens move to the new key."""
from datetime import timedelta

from sqlalchemy import select

from bm.extensions import db
from bm.models import utcnow
from plugins.xero.models import SyncRun, XeroConnection
from plugins.xero.oauth import decrypt_tokens


def last_run():
    return db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))


def test_a_new_key_listed_first_rotates_without_disconnecting_xero(app, integrated, sync_now):
    old_key = app.config["BM_ENCRYPTION_KEY"]
    stored_under_old = bytes(integrated.encrypted_tokens)
    app.config["BM_ENCRYPTION_KEY"] = "the-new-key"
    assert decrypt_tokens(stored_under_old) == {}  # the new key alone cannot read them yet

    app.config["BM_ENCRYPTION_KEY"] = f"the-new-key, {old_key}"
    integrated.access_expires_at = utcnow() - timedelta(minutes=1)  # the next call refreshes the tokens
    db.session.commit()
    sync_now()
    assert last_run().state == "finished", last_run().message
    connection = db.session.get(XeroConnection, integrated.id)
    assert connection.status == "connected" and bytes(connection.encrypted_tokens) != stored_under_old

    app.config["BM_ENCRYPTION_KEY"] = "the-new-key"  # the old key can go once the tokens were refreshed
    assert decrypt_tokens(connection.encrypted_tokens)["access_token"]
    sync_now()
    assert last_run().state == "finished", last_run().message
    assert db.session.get(XeroConnection, integrated.id).status == "connected"
