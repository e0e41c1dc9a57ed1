"""Staging work for Xero in the user's transaction (the outbox), and reading what waits."""
from sqlalchemy import select

from bm.extensions import db
from bm.services import single_row

from .models import ContactLink, OutboxEntry, XeroConnection, XeroSettings

OPEN_STATES = ("pending", "attention")


def open_entry(kind, object_id):
    """The open outbox entry for an object, staged on the session if there is none."""
    entry = db.session.scalar(select(OutboxEntry).where(
        OutboxEntry.kind == kind, OutboxEntry.object_id == object_id, OutboxEntry.state.in_(OPEN_STATES)))
    if entry is None:
        entry = OutboxEntry(kind=kind, object_id=object_id, state="pending", detail={})
        db.session.add(entry)
    elif entry.state == "attention" and entry.batch_id is None:
        entry.state = "pending"  # the user changed the record: try again
    return entry


def waiting_entry(kind, object_id):
    """The open outbox entry for an object, or None."""
    return db.session.scalar(select(OutboxEntry).where(
        OutboxEntry.kind == kind, OutboxEntry.object_id == object_id, OutboxEntry.state.in_(OPEN_STATES)))


def live_link(client_id):
    """The client's current link to a Xero contact, or None."""
    return db.session.scalar(select(ContactLink).where(
        ContactLink.client_id == client_id, ContactLink.archived_at.is_(None)))


def integration_settings():
    """The integration's settings row, created with defaults on first use."""
    return single_row(XeroSettings)


def active_connection():
    """The connection in use (connected or soft-disconnected), or None."""
    return db.session.scalar(
        select(XeroConnection).where(XeroConnection.status.in_(("connected", "disconnected")))
        .order_by(XeroConnection.id.desc())
    )


def new_clients_go_to_xero():
    """Whether new practice clients should be created in Xero (integrated and client sync on)."""
    return active_connection() is not None and integration_settings().client_sync_enabled
