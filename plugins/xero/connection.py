"""The organisation the practice is connected to, and the integration's settings."""
from sqlalchemy import select

from bm.extensions import db
from bm.services import single_row

from .models import XeroConnection, XeroSettings


def active_connection():
    """The connection in use (connected or soft-disconnected), or None."""
    return db.session.scalar(
        select(XeroConnection).where(XeroConnection.status.in_(("connected", "disconnected")))
        .order_by(XeroConnection.id.desc())
    )


def integration_settings():
    """The integration's settings row, created with defaults on first use."""
    return single_row(XeroSettings)


def new_clients_go_to_xero():
    """Whether new practice clients should be created in Xero (integrated and client sync on)."""
    return active_connection() is not None and integration_settings().client_sync_enabled
