"""Changing links between practice clients and Xero contacts, settings, and the red Disconnect."""
import logging

from sqlalchemy import func, select, update

from bm import services
from bm.extensions import db
from bm.models import utcnow

from .models import ContactLink, OutboxEntry
from .oauth import client_for, decrypt_tokens
from .outbox import live_link, open_entry
from .sync.contacts import link_pair
from .sync.fields import client_values, new_client_values, practice_values

log = logging.getLogger(__name__)


class LinkRefused(Exception):
    """The link cannot be made; the message says why."""


def _check_free(tenant_id, contact, client):
    if live_link(client.id) is not None:
        raise LinkRefused(f"{client.name} is already linked to a Xero contact.")
    taken = db.session.scalar(select(ContactLink.id).where(
        ContactLink.tenant_id == tenant_id, ContactLink.contact_id == contact.contact_id,
        ContactLink.archived_at.is_(None)))
    if taken:
        raise LinkRefused(f"{contact.name} in Xero is already linked to another client.")


def merge(tenant_id, contact, client, use):
    """Link a client and a Xero contact, making both hold the chosen system's data.

    With ``use="xero"`` the client takes the contact's values now; with ``use="practice"``
    the link remembers Xero's current values, so the next sync sees the practice's values
    as the change and writes them to Xero.
    """
    if use not in ("xero", "practice"):
        raise LinkRefused("Choose which system's data to keep.")
    _check_free(tenant_id, contact, client)
    theirs = client_values(contact.data)
    if use == "xero":
        services.update_client(client, theirs, source="xero")
        link_pair(client, tenant_id, contact.contact_id, practice_values(client))
        _close_entries(client.id)
    else:
        link_pair(client, tenant_id, contact.contact_id, theirs)
        open_entry("client", client.id)


def create_from_contact(tenant_id, contact):
    """Create a practice client from a Xero contact and link the two (Create in BrightManager)."""
    taken = db.session.scalar(select(ContactLink.id).where(
        ContactLink.tenant_id == tenant_id, ContactLink.contact_id == contact.contact_id,
        ContactLink.archived_at.is_(None)))
    if taken:
        raise LinkRefused(f"{contact.name} in Xero is already linked to a client.")
    client = services.create_client(new_client_values(contact.data), source="xero")
    link_pair(client, tenant_id, contact.contact_id, practice_values(client))
    return client


def _close_entries(client_id):
    # Both sides already agree, and a client waiting to be created in Xero is linked instead.
    db.session.execute(update(OutboxEntry).where(
        OutboxEntry.kind == "client", OutboxEntry.object_id == client_id,
        OutboxEntry.state.in_(("pending", "attention")), OutboxEntry.batch_id.is_(None)).values(state="done"))


def save_settings(settings, form):
    """Save Integration Settings from a form; return ``{field: message}`` errors."""
    errors = {}
    settings.client_sync_enabled = form.get("client_sync_enabled") == "1"
    try:
        minutes = int(form.get("sync_interval_minutes", "15"))
        if not 0 <= minutes <= 1440:
            raise ValueError
        settings.sync_interval_minutes = minutes
    except ValueError:
        errors["sync_interval_minutes"] = "Enter a number of minutes from 0 (off) to 1440."
    return errors


def disconnect_counts(connection):
    """What the red Disconnect would remove: ``{"links": n, "waiting": n}``."""
    links = db.session.scalar(select(func.count()).select_from(ContactLink).where(
        ContactLink.tenant_id == connection.tenant_id, ContactLink.archived_at.is_(None)))
    waiting = db.session.scalar(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.state.in_(("pending", "attention"))))
    return {"links": links, "waiting": waiting}


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
    db.session.execute(update(OutboxEntry).where(OutboxEntry.state.in_(("pending", "attention")))
                       .values(state="dropped"))
    connection.status, connection.status_reason = "removed", "Disconnected by a user."
    connection.encrypted_tokens = b""


