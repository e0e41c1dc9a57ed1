"""The red Disconnect: what it removes, and removing it."""
import logging

from sqlalchemy import func, select, update

from bm.extensions import db
from bm.models import utcnow

from .models import ContactLink
from .oauth import client_for, decrypt_tokens
from .outbox import drop_all_open, open_count

log = logging.getLogger(__name__)


def disconnect_counts(connection):
    """What the red Disconnect would remove: ``{"links": n, "waiting": n}``."""
    links = db.session.scalar(select(func.count()).select_from(ContactLink).where(
        ContactLink.tenant_id == connection.tenant_id, ContactLink.archived_at.is_(None)))
    return {"links": links, "waiting": open_count()}


def disconnect(connection):
    """Revoke the token, remove the connection in Xero and remove every client link.

    The links are archived rather than deleted, so integrating again with the same
    organisation can offer them back; queued work is dropped.
    """
    xero = client_for(connection)
    tokens = decrypt_tokens(connection.encrypted_tokens)
    if connection.xero_connection_id and connection.is_connected:
        try:
            xero.delete_connection(connection.xero_connection_id)
        except Exception as exc:  # the local disconnect must happen even if Xero is unreachable
            log.warning("could not delete the Xero connection: %s", exc)
    if tokens.get("refresh_token"):
        xero.revoke(tokens["refresh_token"])
    db.session.execute(update(ContactLink).where(
        ContactLink.tenant_id == connection.tenant_id, ContactLink.archived_at.is_(None)).values(archived_at=utcnow()))
    drop_all_open()
    connection.status, connection.status_reason = "removed", "Disconnected by a user."
    connection.encrypted_tokens = b""


