"""A client's or an invoice's full history, filterable by field, who and dates."""
from datetime import date

from flask import Blueprint, abort, current_app, render_template, request, url_for

from . import history
from .extensions import db, htmx
from .models import Client, Invoice
from .pagination import paginate

bp = Blueprint("history", __name__)
PAGE_SIZE = 50


@bp.route("/clients/<int:record_id>/history")
def client_history(record_id):
    """Every change to a client, newest first."""
    client = db.session.get(Client, record_id) or abort(404)
    return _history_page("client", client.id, client.name, url_for("clients.show", client_id=client.id))


@bp.route("/invoices/<int:record_id>/history")
def invoice_history(record_id):
    """Every change to an invoice, newest first."""
    invoice = db.session.get(Invoice, record_id) or abort(404)
    return _history_page("invoice", invoice.id, f"invoice {invoice.number}",
                         url_for("invoices.show", invoice_id=invoice.id))


def _history_page(record_kind, record_id, title, back_url):
    """One URL for the whole page, or for htmx just the results (``Vary: HX-Request``)."""
    field = request.args.get("field", "")
    filters = history.Filters(field=field if field in history.FIELD_LABELS else "",
                              who=request.args.get("who", ""),
                              since=_day("since"), until=_day("until"))
    page = paginate(history.entries_query(record_kind, record_id, filters), history.ENTRIES_ORDER, size=PAGE_SIZE)
    fields, who = history.choices(record_kind, record_id)
    template = "history/results.html" if htmx and not htmx.boosted else "history/index.html"
    response = current_app.make_response(render_template(
        template, page=page, filters=filters, fields=fields, who=who, history=history, title=title,
        back_url=back_url, days=history.retention_days()))
    response.headers["Vary"] = "HX-Request"
    return response


def _day(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def panel_context(record_kind, record_id, history_url):
    """What a show page passes to ``history/_panel.html``."""
    return {"entries": history.latest(record_kind, record_id), "history": history, "history_url": history_url}
