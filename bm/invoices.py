"""Invoices: list, raise, view, edit drafts, approve, void and record payments."""
import re
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from . import services, submissions
from .clients import client_query, get_client_or_404
from .export import csv_response
from .extensions import db
from .history_views import panel_context
from .inputs import record_id
from .models import Client, Invoice
from .pagination import paginate
from .plugins import current_plugins

bp = Blueprint("invoices", __name__, url_prefix="/invoices")
LINE_KEY = re.compile(r"^lines-(\d+)-(description|quantity|unit_price|tax_rate)$")
BLANK_ROWS = 3
INVOICE_ORDER = (Invoice.date.desc(), Invoice.id.desc())


def lines_from_form(form):
    """Return the invoice lines posted as ``lines-N-field`` inputs, in N order."""
    lines = {}
    for key, value in form.items():
        match = LINE_KEY.match(key)
        if match:
            lines.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [lines[index] for index in sorted(lines)]


def get_invoice_or_404(invoice_id):
    return db.session.get(Invoice, invoice_id) or abort(404)


def list_filters():
    """The invoice list's client (or None) and status ("" for any) from the query string."""
    client_id = request.args.get("client_id", type=record_id)
    status = request.args.get("status", "")
    return db.session.get(Client, client_id) if client_id else None, status if status in Invoice.STATUSES else ""


def invoice_query(client, status):
    """Invoices of a client (or all) with a status (or any), newest first."""
    query = select(Invoice).join(Client).options(contains_eager(Invoice.client))
    if client:
        query = query.where(Invoice.client_id == client.id)
    if status:
        query = query.where(Invoice.status == status)
    return query.order_by(*INVOICE_ORDER)


@bp.route("/")
def index():
    """List invoices, filtered by client and status."""
    client, status = list_filters()
    page = paginate(invoice_query(client, status), INVOICE_ORDER)
    badges = current_plugins().collect_by_key("invoice_badges", invoices=page.items)
    return render_template("invoices/index.html", page=page, client=client, status=status, badges=badges)


@bp.route("/export.csv")
def export_csv():
    """Download the invoices the list shows (its client and status) as CSV."""
    query = invoice_query(*list_filters()).with_only_columns(*EXPORT_COLUMNS)
    return csv_response("invoices.csv", EXPORT_HEADER, query, shape=_export_cells)


EXPORT_HEADER = ["Number", "Client reference", "Client", "Date", "Due date", "Reference", "Status",
                 "Subtotal", "Tax", "Total", "Paid", "Due"]
EXPORT_COLUMNS = (Invoice.number, Client.reference, Client.name, Invoice.date, Invoice.due_date, Invoice.reference,
                  Invoice.status, Invoice.subtotal, Invoice.tax_total, Invoice.total, Invoice.amount_paid)


def _export_cells(row):
    *cells, status, subtotal, tax, total, paid = row
    return (*cells, Invoice.STATUS_LABELS[status], subtotal, tax, total, paid, total - paid)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Raise an invoice for a client (choose the client first)."""
    client_id = request.values.get("client_id", type=record_id)
    if not client_id:
        search = (request.args.get("q") or "").strip()
        clients = db.session.scalars(client_query(search, "active").limit(20)).all()
        return render_template("invoices/choose_client.html", clients=clients, search=search)
    client = get_client_or_404(client_id)
    values = {"date": date.today().isoformat(), "lines": [], "reference": ""}
    errors = {}
    if request.method == "POST":
        earlier = submissions.earlier_result("invoice")
        if earlier:
            return earlier
        values = request.form.to_dict() | {"lines": lines_from_form(request.form)}
        try:
            invoice = services.create_invoice(client, values, actor=current_user)
            location = submissions.record(url_for("invoices.show", invoice_id=invoice.id))
            db.session.commit()
            flash(f"Invoice {invoice.number} saved as a draft.", "success")
            return redirect(location)
        except services.ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    return render_template("invoices/form.html", client=client, invoice=None, values=values,
                           errors=errors, blank_rows=BLANK_ROWS), 400 if errors else 200


@bp.route("/line-row")
def line_row():
    """Return one blank line row for the invoice form (the Add line button)."""
    index = request.args.get("index", 0, type=int)
    return render_template("invoices/_line_row.html", index=index, line={}, errors={})


@bp.route("/<int:invoice_id>")
def show(invoice_id):
    """Show an invoice with its lines, payments and what can be done next."""
    return render_invoice(get_invoice_or_404(invoice_id))


def render_invoice(invoice, errors=None, payment=None, status=200):
    """Render the invoice page, with the payment form's values and errors if any."""
    plugins = current_plugins()
    return render_template(
        "invoices/show.html", invoice=invoice, errors=errors or {},
        payment=payment or {"date": date.today().isoformat()},
        lock_reason=services.invoice_lock_reason(invoice), practice=services.practice_settings(),
        badges=plugins.collect_by_key("invoice_badges", invoices=[invoice]).get(invoice.id, []),
        panels=plugins.collect("invoice_panels", invoice=invoice),
        **panel_context("invoice", invoice.id, url_for("history.invoice_history", record_id=invoice.id)),
    ), status


@bp.route("/<int:invoice_id>/edit", methods=["GET", "POST"])
def edit(invoice_id):
    """Edit a draft invoice."""
    invoice = get_invoice_or_404(invoice_id)
    reason = services.invoice_lock_reason(invoice)
    if reason:
        flash(reason, "warning")
        return redirect(url_for("invoices.show", invoice_id=invoice.id)), 303
    values = {"date": invoice.date.isoformat(), "due_date": invoice.due_date.isoformat(),
              "reference": invoice.reference, "version": invoice.version,
              "lines": services.line_dicts(invoice)}
    errors = {}
    if request.method == "POST":
        values = request.form.to_dict() | {"lines": lines_from_form(request.form)}
        try:
            services.update_invoice(invoice, values, expected_version=values.get("version"), actor=current_user)
            db.session.commit()
            flash("Invoice saved.", "success")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
        except services.ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    return render_template("invoices/form.html", client=invoice.client, invoice=invoice, values=values,
                           errors=errors, blank_rows=1), 400 if errors else 200


def _change_status(invoice_id, change, done_message):
    invoice = get_invoice_or_404(invoice_id)
    try:
        change(invoice, actor=current_user)
        db.session.commit()
        flash(done_message.format(number=invoice.number), "success")
    except services.ValidationError as exc:
        db.session.rollback()
        flash(exc.errors["_form"], "error")
    return redirect(url_for("invoices.show", invoice_id=invoice_id))


@bp.route("/<int:invoice_id>/approve", methods=["POST"])
def approve(invoice_id):
    """Approve a draft invoice."""
    return _change_status(invoice_id, services.approve_invoice, "Invoice {number} approved.")


@bp.route("/<int:invoice_id>/void", methods=["POST"])
def void(invoice_id):
    """Void an invoice."""
    return _change_status(invoice_id, services.void_invoice, "Invoice {number} voided.")


@bp.route("/<int:invoice_id>/payments", methods=["POST"])
def record_payment(invoice_id):
    """Record a payment against an invoice."""
    invoice = get_invoice_or_404(invoice_id)
    earlier = submissions.earlier_result("payment")
    if earlier:
        return earlier
    try:
        services.record_payment(invoice, request.form.to_dict(), actor=current_user)
        location = submissions.record(url_for("invoices.show", invoice_id=invoice.id))
        db.session.commit()
        flash("Payment recorded.", "success")
        return redirect(location)
    except services.ValidationError as exc:
        db.session.rollback()
        return render_invoice(invoice, exc.errors, request.form.to_dict(), 400)
