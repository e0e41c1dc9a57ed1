"""Tools > Integrations > Xero: connect, the unlinked-customer list, Create in BrightManager, settings, disconnect."""
import logging

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from bm import services
from bm.auth import admin_required
from bm.clients import client_query
from bm.extensions import db, htmx
from bm.models import Client, Invoice
from bm.pagination import paginate

from .. import disconnect as red_disconnect, jobs, merging, oauth, run_state, settings_form
from ..api import XeroError, XeroUrls
from ..config import setting
from ..models import ContactLink, XeroConnection
from ..connection import active_connection, integration_settings
from ..outbox import open_entry
from ..sync import invoices as invoice_sync, tax_rates
from ..sync.engine import latest_run
from ..sync.restore import archived_links
from ..sync.suggestions import UNLINKED_ORDER, suggestions_for, unlinked_customers_query
from . import NOT_IN_ORGANISATION, blueprint, connected_only, connection_or_404

bp = blueprint("xero", __name__)
log = logging.getLogger(__name__)
LIST_PAGE_SIZE = 25


@bp.route("/")
def index():
    """The integration page: status, actions, the latest sync and the unlinked Xero customers."""
    pending_id = session.get("xero_pending_connection")
    connection = active_connection()
    if connection is None:
        return render_template("xero/start.html", configured=bool(setting("XERO_CLIENT_ID")),
                               pending=pending_id)
    page = paginate(unlinked_customers_query(connection.tenant_id), UNLINKED_ORDER, size=LIST_PAGE_SIZE, dense=True)
    return render_template(
        "xero/index.html", connection=connection, run=run_state.checked(latest_run(connection.tenant_id)), page=page,
        suggestions=suggestions_for([contact.contact_id for contact in page.items]),
        settings=integration_settings(),
    )


@bp.route("/connect")
@admin_required
def connect():
    """Send the admin to Xero to log in and allow access (Integrate with Xero / Reconnect)."""
    if not setting("XERO_CLIENT_ID"):
        flash("Set XERO_CLIENT_ID and XERO_CLIENT_SECRET to connect to Xero.", "error")
        return redirect(url_for("xero.index"))
    return redirect(oauth.start_authorisation())


@bp.route("/callback")
@admin_required
def callback():
    """Take Xero's answer to the consent page, then ask which organisation to use."""
    try:
        connection = oauth.finish_authorisation(request.args)
        db.session.commit()
    except oauth.AuthorisationFailed as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("xero.index"))
    session["xero_pending_connection"] = connection.id
    return redirect(url_for("xero.organisation"))


@bp.route("/organisation", methods=["GET", "POST"])
@admin_required
def organisation():
    """Choose the organisation to integrate with from the ones Xero gave access to."""
    pending = db.session.get(XeroConnection, session.get("xero_pending_connection") or 0)
    if pending is None or pending.status != "pending":
        return redirect(url_for("xero.index"))
    try:
        organisations = oauth.available_organisations(pending)
    except XeroError as exc:
        flash(f"Xero could not list your organisations: {exc}", "error")
        return redirect(url_for("xero.index"))
    if request.method == "POST":
        try:
            connection = oauth.choose_organisation(pending, request.form.get("tenant_id", ""))
            db.session.commit()
        except (oauth.AuthorisationFailed, XeroError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("xero.organisation"))
        session.pop("xero_pending_connection", None)
        jobs.queue_sync("first" if connection.contacts_modified_since is None else "reconnect")
        flash(f"Connected to {connection.organisation_name}. Your first sync has been queued.", "success")
        if archived_links(connection.tenant_id):
            return redirect(url_for("xero_recovery.recover"))
        return redirect(url_for("xero.index"))
    return render_template("xero/organisation.html", organisations=organisations, current=active_connection())


@bp.route("/sync", methods=["POST"])
@connected_only
def sync_now():
    """Queue a sync now (Sync Now)."""
    run = jobs.queue_sync("manual")
    if run.state == "skipped":
        flash(run.message, "warning")
    return redirect(url_for("xero.index"))


@bp.route("/runs/<int:run_id>")
def run_status(run_id):
    """The progress bar of a sync run (polled by htmx until the run ends, then its summary)."""
    run = run_state.checked(connection_or_404().organisation_run(run_id) or abort(404))
    response = current_app.make_response(render_template("xero/_run.html", run=run))
    if htmx and run.state not in ("queued", "running"):
        response.status_code = 286  # tells htmx to stop polling
    return response


@bp.route("/contacts/<contact_id>/create", methods=["POST"])
def create_client(contact_id):
    """Create a practice client from a Xero contact and link them (Create in BrightManager)."""
    connection = connection_or_404()
    contact = connection.organisation_contact(contact_id)
    if contact is None:
        flash(NOT_IN_ORGANISATION.format(connection.organisation_name), "error")
        return redirect(url_for("xero.index"))
    try:
        client = merging.create_from_contact(connection.tenant_id, contact)
        db.session.commit()
    except (merging.LinkRefused, services.ValidationError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("xero.index"))
    flash(f"{client.name} created and linked to Xero.", "success")
    return redirect(url_for("xero.index"))


@bp.route("/clients/<int:client_id>/unlink", methods=["POST"])
def unlink(client_id):
    """Unlink a client from its Xero contact; both records stay as they are."""
    link = ContactLink.live_for(client_id) or abort(404)
    name = link.client.name
    db.session.delete(link)
    db.session.commit()
    flash(f"{name} is no longer linked to Xero.", "success")
    return redirect(url_for("clients.show", client_id=client_id))


@bp.route("/clients/<int:client_id>/link/<contact_id>", methods=["POST"])
def link_existing(client_id, contact_id):
    """Link a client to the Xero contact that already holds its name (one click from the client file)."""
    connection = connection_or_404()
    client = db.session.get(Client, client_id) or abort(404)
    contact = connection.organisation_contact(contact_id)
    if contact is None:
        flash(NOT_IN_ORGANISATION.format(connection.organisation_name), "error")
        return redirect(url_for("clients.show", client_id=client.id))
    try:
        merging.merge(connection.tenant_id, contact, client, "xero")
        db.session.commit()
    except merging.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("clients.show", client_id=client.id))
    flash(f"{client.name} is now linked to the existing Xero contact.", "success")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.route("/clients/<int:client_id>/add", methods=["POST"])
def add_client(client_id):
    """Add a client that existed before the integration to Xero on the next sync (queued now)."""
    connection = connection_or_404()
    client = db.session.get(Client, client_id) or abort(404)
    if ContactLink.live_for(client.id) is None:
        open_entry("client", client.id)
        db.session.commit()
        if connection.is_connected:
            jobs.queue_sync("manual")
        flash(f"{client.name} will be added to Xero on this sync.", "success")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.route("/contacts/<contact_id>/open")
def open_contact(contact_id):
    """Open the contact's page in Xero (the organisation's deep link)."""
    connection = connection_or_404()
    urls = XeroUrls.for_base(setting("XERO_BASE_URL"))
    return redirect(urls.deep_link(connection.short_code, f"/Contacts/View/{contact_id}"))


@bp.route("/clients/search")
def search_clients():
    """Unlinked clients matching a search, as options for the merge dropdown."""
    search = (request.args.get("q") or "").strip()
    linked = select(ContactLink.client_id).where(ContactLink.archived_at.is_(None))
    clients = db.session.scalars(client_query(search, "active").where(Client.id.not_in(linked)).limit(20)).all()
    return render_template("xero/_client_options.html", clients=clients)


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    """Integration Settings: client sync, the sync interval and invoice sync with its Default Bank."""
    connection = connection_or_404()
    current = integration_settings()
    db.session.commit()  # the settings row, made on first use, is kept before Xero is read
    choices, choices_error = _organisation_choices(connection)
    errors = {}
    if request.method == "POST":
        errors = settings_form.save_settings(current, request.form, connection, choices)
        if not errors:
            db.session.commit()
            flash("Integration settings saved.", "success")
            return redirect(url_for("xero.index"))
        db.session.rollback()
    return render_template("xero/settings.html", connection=connection, settings=current, errors=errors,
                           choices=choices, choices_error=choices_error, form=request.form, no_bank=settings_form.NO_BANK), \
        400 if errors else 200


def _organisation_choices(connection):
    """The organisation's banks, sales accounts and tax rates read from Xero, or why they cannot be."""
    if not connection.is_connected:
        return None, "The integration is disconnected: use Reconnect Xero Integration to change the invoice settings."
    try:
        choices = tax_rates.organisation_choices(oauth.client_for(connection), connection.tenant_id)
        db.session.commit()
        return choices, ""
    except XeroError as exc:
        db.session.rollback()
        return None, f"Xero's accounts and tax rates could not be read: {exc}"


@bp.route("/invoices/<xero_invoice_id>/open")
def open_invoice(xero_invoice_id):
    """Open a sales invoice's page in Xero (the organisation's deep link)."""
    connection = connection_or_404()
    urls = XeroUrls.for_base(setting("XERO_BASE_URL"))
    return redirect(urls.deep_link(connection.short_code, f"/AccountsReceivable/View.aspx?InvoiceID={xero_invoice_id}"))


@bp.route("/invoices/<int:invoice_id>/retry", methods=["POST"])
@admin_required
def retry_invoice(invoice_id):
    """Send an invoice (and its payments) that Xero refused again on the next sync."""
    connection_or_404()
    invoice = db.session.get(Invoice, invoice_id) or abort(404)
    invoice_sync.retry_invoice(invoice)
    db.session.commit()
    flash(f"Invoice {invoice.number} will be sent to Xero again on the next sync.", "success")
    return redirect(url_for("invoices.show", invoice_id=invoice.id))


@bp.route("/disconnect", methods=["GET", "POST"])
@admin_required
def disconnect():
    """Explain what the red Disconnect throws away (GET), then do it (POST)."""
    connection = connection_or_404()
    if request.method == "GET":
        return render_template("xero/disconnect.html", connection=connection, counts=red_disconnect.disconnect_counts(connection))
    if request.form.get("confirm") != connection.organisation_name:
        flash("Type the organisation's name exactly to confirm.", "error")
        return redirect(url_for("xero.disconnect"))
    problems = red_disconnect.disconnect(connection)
    db.session.commit()
    if problems:
        flash(f"Client links to {connection.organisation_name} were removed here, but " + " ".join(problems)
              + " In Xero, check Settings, Connected apps and disconnect BrightManager there if it is still listed.",
              "warning")
    else:
        flash(f"Disconnected from {connection.organisation_name}: Xero removed the connection and revoked "
              "BrightManager's access. Client links were removed.", "success")
    return redirect(url_for("xero.index"))

