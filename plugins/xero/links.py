"""Changing links between practice clients and Xero contacts, settings, and the red Disconnect."""
import logging
import time

from sqlalchemy import func, select, update

from bm import services
from bm.extensions import db
from bm.models import utcnow

from bm.jobs import redis_connection

from .api import XeroError
from .models import ContactLink, InvoiceLink, OutboxEntry
from .oauth import client_for, decrypt_tokens
from .outbox import live_link, open_entry
from .sync import invoices as invoice_sync
from .sync.engine import SyncBusy, organisation_lock
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


NO_BANK = ("Before turning on the invoice sync you will need to configure a bank account in Xero. "
           "Invoice sync cannot be enabled until there is one.")
LOCK_WAIT_SECONDS = 15


def save_settings(settings, form, connection=None, choices=None):
    """Save Integration Settings from a form; return ``{field: message}`` errors.

    :param choices: the organisation's banks, sales accounts and tax rates as just read from
        Xero (``invoices.organisation_choices``), or None when Xero cannot be read; then the
        invoice settings stay as they are.
    Switching invoice sync on takes the baseline of Xero's existing sales invoices first
    (network calls), so nothing is changed until every check has passed.
    """
    values, errors = {"client_sync_enabled": form.get("client_sync_enabled") == "1"}, {}
    try:
        minutes = int(form.get("sync_interval_minutes", "15"))
        if not 0 <= minutes <= 1440:
            raise ValueError
        values["sync_interval_minutes"] = minutes
    except ValueError:
        errors["sync_interval_minutes"] = "Enter a number of minutes from 0 (off) to 1440."
    if choices is not None:
        invoice_values, invoice_errors = _invoice_settings(form, choices)
        values.update(invoice_values)
        errors.update(invoice_errors)
    elif form.get("invoice_sync_enabled") == "1" and not settings.invoice_sync_enabled:
        errors["invoice_sync_enabled"] = "Xero could not be read, so invoice sync cannot be turned on now."
    if errors:
        return errors
    switching_on = values.get("invoice_sync_enabled") and not settings.invoice_sync_enabled
    if switching_on:
        try:
            start_invoice_sync(connection)
        except (SyncBusy, XeroError) as exc:
            return {"invoice_sync_enabled": f"Invoice sync could not be turned on: {exc}"}
        values["invoice_sync_enabled_at"] = utcnow()
    retry = any(getattr(settings, key) != values[key] for key in ("sales_account_code", "default_tax_type")
                if key in values)
    for key, value in values.items():
        setattr(settings, key, value)
    if retry:
        invoice_sync.retry_refused_invoices()
    return {}


def _invoice_settings(form, choices):
    values, errors = {}, {}
    enabled = form.get("invoice_sync_enabled") == "1"
    banks = {bank["AccountID"]: bank for bank in choices["banks"]}
    bank_id = form.get("default_bank_account_id", "")
    if enabled and not banks:
        errors["invoice_sync_enabled"] = NO_BANK
    elif bank_id in banks:
        values["default_bank_account_id"] = bank_id
        values["default_bank_account_name"] = f"{banks[bank_id].get('Name', '')} ({banks[bank_id].get('Code', '')})"
    elif enabled or bank_id:
        errors["default_bank_account_id"] = "Select your Default Bank."
    codes = {account.get("Code") for account in choices["sales_accounts"]}
    code = form.get("sales_account_code", "")
    if code in codes:
        values["sales_account_code"] = code
    elif enabled or code:
        errors["sales_account_code"] = "Choose the sales account invoice lines are coded to."
    tax_type = form.get("default_tax_type", "")
    if tax_type and tax_type not in {rate.tax_type for rate in choices["tax_rates"]}:
        errors["default_tax_type"] = "Choose one of the organisation's tax rates."
    else:
        values["default_tax_type"] = tax_type
    values["invoice_sync_enabled"] = enabled
    return values, errors


def start_invoice_sync(connection):
    """Take the baseline of Xero's sales invoices under the organisation's sync lock.

    Waits a little for a running sync to finish, so the baseline and a sync's pull never overlap.
    Invoices already linked (sync was on before) are read again in full on the next sync, so
    nothing Xero did to them while sync was off is missed.
    """
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            with organisation_lock(redis_connection(), connection.tenant_id):
                invoice_sync.take_baseline(client_for(connection), connection.tenant_id)
                if db.session.scalar(select(InvoiceLink.id).where(InvoiceLink.tenant_id == connection.tenant_id).limit(1)):
                    connection.invoices_modified_since = None
                db.session.commit()
                return
        except SyncBusy:
            if time.monotonic() > deadline:
                raise SyncBusy("a sync of this organisation is running; save again in a moment.") from None
            time.sleep(0.5)


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


