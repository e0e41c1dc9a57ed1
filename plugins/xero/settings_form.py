"""Integration Settings: the form's checks, and switching invoice sync on (its baseline)."""
from sqlalchemy import select

from bm.extensions import db
from bm.inputs import whole_number
from bm.jobs import redis_connection
from bm.models import utcnow

from .api import XeroError
from .models import InvoiceLink
from .oauth import client_for
from .sync import invoices as invoice_sync
from .sync.engine import SyncBusy, wait_for_organisation_lock

NO_BANK = ("Before turning on the invoice sync you will need to configure a bank account in Xero. "
           "Invoice sync cannot be enabled until there is one.")


def save_settings(settings, form, connection=None, choices=None):
    """Save Integration Settings from a form; return ``{field: message}`` errors.

    :param choices: the organisation's banks, sales accounts and tax rates as just read from
        Xero (``tax_rates.organisation_choices``), or None when Xero cannot be read; then the
        invoice settings stay as they are.
    Switching invoice sync on takes the baseline of Xero's existing sales invoices first
    (network calls), so nothing is changed until every check has passed.
    """
    values, errors = {"client_sync_enabled": form.get("client_sync_enabled") == "1"}, {}
    values["sync_interval_minutes"] = whole_number(form.get("sync_interval_minutes", "15"), 0, 1440)
    if values["sync_interval_minutes"] is None:
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
    with wait_for_organisation_lock(redis_connection(), connection.tenant_id,
                                    "a sync of this organisation is running; save again in a moment."):
        invoice_sync.take_baseline(client_for(connection), connection.tenant_id)
        if db.session.scalar(select(InvoiceLink.id).where(InvoiceLink.tenant_id == connection.tenant_id).limit(1)):
            connection.invoices_modified_since = None
        db.session.commit()


