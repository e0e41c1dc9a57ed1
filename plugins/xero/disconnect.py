"""The red Disconnect: what it removes, and removing it."""
import logging

from sqlalchemy import func, select, update

from bm.extensions import db
from bm.models import utcnow

from .api import InvalidGrant, XeroError
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
    """Remove the connection in Xero, revoke the token, and remove every client link here.

    The DELETE goes first, with a token refreshed if it is due; the revocation then uses the
    refresh token as it is after that call (a refresh rotates it), so it is never a stale one.
    The links are archived rather than deleted, so integrating again with the same organisation
    can offer them back; queued work is dropped. Here everything is removed even when Xero
    cannot be reached.

    :return: what Xero did not confirm, as sentences (empty when it confirmed everything).
    """
    problems, xero, revoked = [], client_for(connection), False
    if connection.xero_connection_id and connection.is_connected:
        try:
            xero.delete_connection(connection.xero_connection_id)
        except InvalidGrant:
            revoked = True  # Xero had already withdrawn the authorisation: nothing left to remove or revoke
        except XeroError as exc:
            log.warning("could not delete the Xero connection: %s", exc)
            problems.append(f"Xero did not confirm that it removed the connection ({str(exc).rstrip('.')}).")
    db.session.refresh(connection)  # the refresh token as it is now, after any rotation
    refresh_token = decrypt_tokens(connection.encrypted_tokens).get("refresh_token")
    if refresh_token and not revoked:
        try:
            xero.revoke(refresh_token)
        except XeroError as exc:
            log.warning("could not revoke the Xero token: %s", exc)
            problems.append(f"Xero did not confirm that it revoked BrightManager's access ({str(exc).rstrip('.')}).")
    db.session.execute(update(ContactLink).where(
        ContactLink.tenant_id == connection.tenant_id, ContactLink.archived_at.is_(None)).values(archived_at=utcnow()))
    drop_all_open()
    connection.status, connection.status_reason = "removed", "Disconnected by a user."
    connection.encrypted_tokens = b""
    return problems
