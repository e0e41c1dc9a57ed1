"""The organisation the practice is connected to, and the integration's settings."""
from itertools import chain

from flask import g, has_request_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bm.extensions import db
from bm.services import single_row

from .models import XeroConnection, XeroSettings

MEMO = "xero_active_connection"


def active_connection():
    """The connection in use (connected or soft-disconnected), or None.

    A page asks several times (banners, panels, actions): within a request it is looked up once,
    and again after any change to a connection (made, flushed or rolled back).
    """
    if not has_request_context():
        return _active()
    if MEMO not in g or _connections_touched(db.session):
        setattr(g, MEMO, _active())
    return getattr(g, MEMO)


def _active():
    return db.session.scalar(
        select(XeroConnection).where(XeroConnection.status.in_(("connected", "disconnected")))
        .order_by(XeroConnection.id.desc())
    )


def _connections_touched(session):
    return any(isinstance(row, XeroConnection) for row in chain(session.new, session.dirty, session.deleted))


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session, _context):
    if has_request_context() and _connections_touched(session):
        g.pop(MEMO, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session, _previous_transaction):
    if has_request_context():
        g.pop(MEMO, None)


def integration_settings():
    """The integration's settings row, created with defaults on first use."""
    return single_row(XeroSettings)


def new_clients_go_to_xero():
    """Whether new practice clients should be created in Xero (integrated and client sync on)."""
    return active_connection() is not None and integration_settings().client_sync_enabled
