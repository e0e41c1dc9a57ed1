"""The client list, client files, and client CSV import."""
import base64
import binascii

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from . import services, submissions
from .csvimport import CSVError, parse_clients_csv
from .export import csv_response
from .extensions import db
from .history import FIELD_LABELS
from .history_views import panel_context
from .models import Client, Invoice
from .pagination import paginate
from .plugins import current_plugins

bp = Blueprint("clients", __name__, url_prefix="/clients")
CLIENT_ORDER = (Client.name, Client.id)


def client_query(search, status):
    """Clients matching a search over name, email and reference, by name."""
    query = select(Client)
    if status == "active":
        query = query.where(Client.archived.is_(False))
    elif status == "archived":
        query = query.where(Client.archived.is_(True))
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(or_(
            Client.name.ilike(pattern, escape="\\"),
            Client.email.ilike(pattern, escape="\\"),
            Client.reference.ilike(pattern, escape="\\"),
        ))
    return query.order_by(*CLIENT_ORDER)


def get_client_or_404(client_id):
    return db.session.get(Client, client_id) or abort(404)


def list_filters():
    """The client list's search and status from the query string (a bad status means active)."""
    status = request.args.get("status", "active")
    search = (request.args.get("q") or "").strip()
    return search, status if status in ("active", "archived", "all") else "active"


@bp.route("/")
def index():
    """List clients, searchable as you type."""
    search, status = list_filters()
    page = paginate(client_query(search, status), CLIENT_ORDER)
    return render_template("clients/index.html", page=page, search=search, status=status)


@bp.route("/export.csv")
def export_csv():
    """Download the clients the list shows (its search and status) as CSV, in the import's columns."""
    query = client_query(*list_filters()).with_only_columns(*(getattr(Client, f) for f in Client.EDITABLE_FIELDS))
    return csv_response("clients.csv", [FIELD_LABELS[field] for field in Client.EDITABLE_FIELDS], query)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Show the new-client form and create the client."""
    values, errors = {"kind": "business"}, {}
    if request.method == "POST":
        earlier = submissions.earlier_result("client")
        if earlier:
            return earlier
        values = request.form.to_dict()
        try:
            client = services.create_client(values, actor=current_user)
            location = submissions.record(url_for("clients.show", client_id=client.id))
            db.session.commit()
            flash(f"Client {client.name} created.", "success")
            return redirect(location)
        except services.ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    return render_template("clients/form.html", client=None, values=values, errors=errors), 400 if errors else 200


@bp.route("/<int:client_id>")
def show(client_id):
    """Show a client file."""
    client = get_client_or_404(client_id)
    plugins = current_plugins()
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.client_id == client.id).order_by(Invoice.date.desc(), Invoice.id.desc()).limit(20)
    ).all()
    return render_template(
        "clients/show.html", client=client, invoices=invoices,
        actions=plugins.collect("client_actions", client=client),
        panels=plugins.collect("client_panels", client=client),
        **panel_context("client", client.id, url_for("history.client_history", record_id=client.id)),
    )


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
def edit(client_id):
    """Show the edit form for a client and save the changes."""
    client = get_client_or_404(client_id)
    values, errors = client.as_dict() | {"version": client.version}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            services.update_client(client, values, expected_version=values.get("version"), actor=current_user)
            db.session.commit()
            flash("Client saved.", "success")
            return redirect(url_for("clients.show", client_id=client.id))
        except services.ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    return render_template("clients/form.html", client=client, values=values, errors=errors), 400 if errors else 200


@bp.route("/<int:client_id>/archive", methods=["POST"])
def archive(client_id):
    """Archive a client."""
    return _set_archived(client_id, True, "{name} archived.")


@bp.route("/<int:client_id>/unarchive", methods=["POST"])
def unarchive(client_id):
    """Bring an archived client back."""
    return _set_archived(client_id, False, "{name} is active again.")


def _set_archived(client_id, archived, message):
    client = get_client_or_404(client_id)
    services.set_client_archived(client, archived, actor=current_user)
    db.session.commit()
    flash(message.format(name=client.name), "success")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    """Upload a client CSV and preview it, with each row's errors."""
    if request.method == "GET":
        return render_template("clients/import.html")
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    return _preview(data)


@bp.route("/import/confirm", methods=["POST"])
def import_confirm():
    """Import the previewed CSV, all rows or none."""
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    try:
        rows, _ignored = parse_clients_csv(data)
        clients = services.import_clients(rows, actor=current_user)
        db.session.commit()
    except (CSVError, services.ImportRejected):
        db.session.rollback()
        return _preview(data)
    flash(f"Imported {len(clients)} clients.", "success")
    return redirect(url_for("clients.index"))


def _preview(data):
    try:
        rows, ignored = parse_clients_csv(data)
    except CSVError as exc:
        return render_template("clients/import.html", file_error=str(exc)), 400
    row_errors = dict(services.check_import(rows))
    db.session.rollback()
    return render_template(
        "clients/import_preview.html", rows=rows, ignored=ignored, row_errors=row_errors,
        payload=base64.b64encode(data).decode(), fields=Client.EDITABLE_FIELDS,
    ), 400 if row_errors else 200
