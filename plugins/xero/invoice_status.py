"""Why an invoice is not (yet) in Xero, in words the invoice page and its badge show."""
from bm.localtime import local_time
from bm.models import utcnow

from .connection import active_connection
from .models import ContactLink, InvoiceLink
from .outbox import State, is_refused, waiting_entries, waiting_entry
from .sync.invoices import payment_waits_because, sync_start

REASONS = {
    "client_not_linked": "The client isn't linked to a Xero contact.",
    "disconnected": "The Xero integration is disconnected.",
    "sync_off": "Invoice sync is off.",
    "before_enabled": "Raised before invoice sync was turned on.",
    "void": "Voided before it reached Xero.",
    "refused": "Xero refused it.",
    "daily_limit": "Xero's daily limit is reached; syncing resumes later today.",
    "waiting": "Waiting for the next sync.",
}


class InvoiceFacts:
    """What the Xero side knows of some invoices (a page of the list, or one): a query per kind of fact."""

    def __init__(self, invoices):
        ids = [invoice.id for invoice in invoices]
        self.connection = active_connection()
        self.links = InvoiceLink.for_invoices(ids)
        self.entries = waiting_entries("invoice", ids)
        self.linked_clients = set(ContactLink.live_for_clients({invoice.client_id for invoice in invoices}))
        self.sync_start = sync_start(self.connection.tenant_id) if self.connection is not None else None


def why_not_in_xero(invoice, facts=None):
    """Why an invoice has no Xero invoice yet: ``(reason, detail)``, or None when it is in Xero.

    Reasons, in the order the help article checks them: "client_not_linked", "disconnected",
    "sync_off", "before_enabled", "void", "refused" (detail: Xero's message), "daily_limit"
    (detail: when syncing resumes), "waiting". ``facts`` are read for this invoice when not given.
    """
    facts = facts or InvoiceFacts([invoice])
    if invoice.id in facts.links:
        return None
    connection, entry = facts.connection, facts.entries.get(invoice.id)
    if invoice.client_id not in facts.linked_clients:
        return "client_not_linked", ""
    if connection is not None and not connection.is_connected:
        return "disconnected", connection.status_reason
    if connection is None or facts.sync_start is None:
        return "sync_off", ""
    if invoice.status == "void" and (entry is None or entry.state == State.PENDING):
        return "void", ""
    if entry is None:
        return "before_enabled", ""
    if is_refused(entry):
        return "refused", entry.last_error
    if connection.daily_limit_until and connection.daily_limit_until > utcnow():
        return "daily_limit", local_time(connection.daily_limit_until, "%H:%M")
    return "waiting", ""


def payments_waiting(invoice):
    """The invoice's practice payments not yet in Xero: ``[(payment, sentence)]``."""
    waiting = []
    for payment in invoice.payments:
        entry = waiting_entry("payment", payment.id)
        if entry is None:
            continue
        if is_refused(entry):
            waiting.append((payment, f"Xero refused this payment: {entry.last_error}"))
        else:
            waiting.append((payment, payment_waits_because(payment) or "Waiting for the next sync."))
    return waiting
