"""Xero: links practice clients to Xero contacts and keeps clients and invoices in step."""
from flask import url_for

from bm import hookimpl
from bm.ui import Action, IntegrationCard, Panel, PeriodicJob

from . import jobs
from .outbox import active_connection, live_link, new_clients_go_to_xero, open_entry, waiting_entry
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
    if source != "xero" and set(changes) & set(SYNCED_FIELDS) and live_link(client.id) is not None:
        open_entry("client", client.id)


@hookimpl
def integrations():
    connection = active_connection()
    status = "Not connected"
    if connection is not None:
        status = f"Connected to {connection.organisation_name}" if connection.is_connected else "Disconnected"
    return [IntegrationCard(name="Xero", description="Share clients and invoices with Xero.",
                            url=url_for("xero.index"), status=status, logo_text="X")]


@hookimpl
def client_actions(client):
    link = live_link(client.id)
    if link is None:
        return []
    connection = active_connection()
    children = []
    if connection is not None:
        children.append(Action("Open in Xero", url=url_for("xero.open_contact", contact_id=link.contact_id),
                               external=True))
    children.append(Action("Unlink", url=url_for("xero.unlink", client_id=client.id), method="post",
                           confirm=f"Unlink {client.name} from Xero? Changes will stop syncing."))
    return [Action("Xero Contact", children=tuple(children))]


@hookimpl
def client_panels(client):
    entry = waiting_entry("client", client.id)
    if entry is None or active_connection() is None:
        return []
    return [Panel(title="Xero", template="xero/_client_panel.html",
                  context={"entry": entry, "linked": live_link(client.id) is not None})]


@hookimpl
def register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def register_commands():
    from .cli import xero

    return [xero]


@hookimpl
def periodic_jobs():
    return [PeriodicJob(name="xero-sync", func=jobs.sync_organisation, interval=jobs.sync_interval_seconds)]

