"""Xero: links practice clients to Xero contacts and keeps clients and invoices in step."""
from flask import url_for

from bm import hookimpl
from bm.ui import Action, Badge, IntegrationCard, Panel, PeriodicJob

from . import attention, incidents, invoice_status, jobs, troubleshoot
from .history import prune_history
from .connection import active_connection, new_clients_go_to_xero
from .models import DRAFT_IN_XERO, GONE_IN_XERO, ContactLink, InvoiceLink
from .outbox import open_entry, waiting_entry
from .sync import invoices as invoice_sync
from .sync.fields import SYNCED_FIELDS


@hookimpl
def client_created(client, source):
    if source != "xero" and new_clients_go_to_xero():
        open_entry("client", client.id)


@hookimpl
def clients_imported(clients):
    if new_clients_go_to_xero():
        for client in clients:
            open_entry("client", client.id)


@hookimpl
def client_updated(client, changes, source):
    if source != "xero" and set(changes) & set(SYNCED_FIELDS) and ContactLink.live_for(client.id) is not None:
        open_entry("client", client.id)


@hookimpl
def invoice_created(invoice, source):
    if source != "xero" and invoice_sync.invoice_sync_on():
        open_entry("invoice", invoice.id)


@hookimpl
def invoice_updated(invoice, changes, source):
    if source == "xero" or not set(changes) & set(invoice_sync.EDITED_FIELDS):
        return
    link = InvoiceLink.for_invoice(invoice.id)
    if (link is not None and link.xero_status in DRAFT_IN_XERO) or (
            link is None and waiting_entry("invoice", invoice.id) is not None):
        open_entry("invoice", invoice.id)  # also puts a refused invoice back in the queue


@hookimpl
def payment_recorded(payment, source):
    if source == "xero" or not invoice_sync.invoice_sync_on():
        return
    if InvoiceLink.for_invoice(payment.invoice_id) is not None or waiting_entry("invoice", payment.invoice_id) is not None:
        open_entry("payment", payment.id)


@hookimpl
def invoice_lock_reason(invoice):
    link = InvoiceLink.for_invoice(invoice.id)
    if link is not None and link.approved_in_xero:
        return f"Approved in Xero as {link.xero_number}: Xero's values win, so this invoice is read-only here."
    if link is not None and link.xero_status == "VOIDED":
        return f"Voided in Xero as {link.xero_number}: it no longer changes there, so it is read-only here."
    return None


@hookimpl
def invoice_badges(invoices):
    facts = invoice_status.InvoiceFacts(invoices)
    if facts.connection is None:
        return {}
    return {invoice.id: _badges(invoice, facts) for invoice in invoices}


def _badges(invoice, facts):
    link = facts.links.get(invoice.id)
    if link is None:
        reason = invoice_status.why_not_in_xero(invoice, facts)
        if reason and reason[0] in ("client_not_linked", "disconnected", "waiting", "refused", "daily_limit"):
            return [Badge("Not in Xero", "warning", invoice_status.REASONS[reason[0]])]
        return []
    badges = [Badge("Xero", "ok", f"{link.xero_number} in Xero, {link.xero_status.lower()} there.")]
    if link.xero_status in DRAFT_IN_XERO:
        badges.append(Badge("Draft in Xero", "info", "Approve it in Xero to issue it."))
    elif link.xero_status in GONE_IN_XERO:
        badges.append(Badge(f"{link.xero_status.title()} in Xero", "warning",
                            "Nothing is voided or deleted here because of Xero."))
    if invoice.status == "void" and link.xero_status not in GONE_IN_XERO:
        badges.append(Badge("Still live in Xero", "warning", "Voided here only: void it in Xero too if you mean to."))
    return badges


@hookimpl
def invoice_panels(invoice):
    connection = active_connection()
    if connection is None:
        return []
    link = InvoiceLink.for_invoice(invoice.id)
    return [Panel(title="Xero", template="xero/_invoice_panel.html", context={
        "link": link, "connection": connection,
        "reason": None if link else invoice_status.why_not_in_xero(invoice),
        "payments_waiting": invoice_status.payments_waiting(invoice)})]


@hookimpl
def integrations():
    connection = active_connection()
    status = "Not connected"
    if connection is not None:
        status = f"Connected to {connection.organisation_name}" if connection.is_connected else "Disconnected"
    return [IntegrationCard(name="Xero", description="Share clients and invoices with Xero.",
                            url=url_for("xero.index"), status=status, logo_text="X")]


@hookimpl
def attention_banners(user):
    return attention.banners(user)


@hookimpl
def client_actions(client):
    link = ContactLink.live_for(client.id)
    if link is None:
        return []
    connection = active_connection()
    children = []
    if connection is not None:
        children.append(Action("Open in Xero", url=url_for("xero.open_contact", contact_id=link.contact_id),
                               external=True))
    children.append(Action("Xero sync history", url=url_for("xero_history.history_changes", kind="client",
                                                            record_id=client.id)))
    children.append(Action("Unlink", url=url_for("xero.unlink", client_id=client.id), method="post",
                           confirm=f"Unlink {client.name} from Xero? Changes will stop syncing."))
    return [Action("Xero Contact", children=tuple(children))]


@hookimpl
def client_panels(client):
    diagnosis = troubleshoot.diagnose_client(client)
    if diagnosis is None:
        return []
    title = "Xero" if ContactLink.live_for(client.id) is not None else "Why isn't this in Xero?"
    return [Panel(title=title, template="xero/_troubleshooter.html", context={"diagnosis": diagnosis})]


@hookimpl
def register_blueprints():
    from .views import history, integration, linking, recovery, usage, webhooks

    return [integration.bp, webhooks.bp, linking.bp, recovery.bp, history.bp, usage.bp]


@hookimpl
def register_commands():
    from .cli import xero

    return [xero]


@hookimpl
def periodic_jobs():
    return [PeriodicJob(name="xero-sync", func=jobs.sync_organisation, interval=jobs.sync_interval_seconds),
            PeriodicJob(name="xero-history-prune", func=prune_history, interval=3600),
            PeriodicJob(name="xero-incidents", func=incidents.check, interval=incidents.CHECK_SECONDS)]

