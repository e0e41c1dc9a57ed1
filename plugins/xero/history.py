"""Sync history: what each sync run changed, field by field, which side it came from, and for how long it is kept.

The sync stages a ``FieldChange`` row where it applies a change (``record``), in the same
transaction as the change itself, so the history commits or rolls back with what it describes.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Text, and_, cast, delete, func, or_, select, update

from bm.extensions import db
from bm.models import Client, Invoice, utcnow

from .models import FieldChange, SyncRun, XeroSettings

SIDES = {"xero": "Xero", "practice": "Practice"}
RUN_STATES = ("queued", "running", "finished", "skipped", "stopped", "failed", "abandoned")
FIELD_LABELS = {
    "name": "Name", "first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone",
    "address_line1": "Address line 1", "address_line2": "Address line 2", "city": "City", "region": "Region",
    "postcode": "Postcode", "country": "Country", "tax_number": "Tax number", "account_number": "Account number",
    "xero_contact": "Xero contact", "xero_invoice": "Xero invoice", "xero_status": "Status in Xero",
    "status": "Status", "number": "Number", "date": "Date", "due_date": "Due date", "reference": "Reference",
    "lines": "Lines", "total": "Total", "payment": "Payment", "xero_draft": "Draft in Xero",
}
MAX_VALUE = 2000
CENT = Decimal("0.01")
PANEL_SIZE = 10
DEFAULT_DAYS = 365


# -- recording ------------------------------------------------------------------------------------


def record(run, record_kind, record_id, field, before, after, source, conflict=False):
    """Stage one field change the sync is making; it commits with the change itself.

    :param run: the sync's RunRecorder (or its SyncRun, or None outside a run).
    :param source: "xero" when Xero's value is copied into the practice, "practice" when the
        practice's value is written to Xero.
    """
    db.session.add(FieldChange(run_id=_run_id(run), record_kind=record_kind, record_id=record_id, field=field,
                               before=as_text(before), after=as_text(after), source=source,
                               conflict=bool(conflict), changed_at=utcnow()))


def record_changes(run, record_kind, record_id, changes, source, conflicts=()):
    """Stage a ``{field: (before, after)}`` dict (as bm's services return it), one row per field.

    Invoice lines are kept as a one-line summary, with the total alongside when it moved.
    """
    for field, (before, after) in changes.items():
        if field == "lines":
            record(run, record_kind, record_id, "lines", lines_summary(before), lines_summary(after), source,
                   field in conflicts)
            if lines_total(before) != lines_total(after):
                record(run, record_kind, record_id, "total", lines_total(before), lines_total(after), source)
        else:
            record(run, record_kind, record_id, field, before, after, source, field in conflicts)


def _run_id(run):
    run = getattr(run, "run", run)
    return getattr(run, "id", None) if isinstance(run, SyncRun) else None


def as_text(value):
    """A value as the history shows it."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)[:MAX_VALUE]


def _number(value):
    """A quantity or rate without trailing zeros (2, 1.5, 20)."""
    value = _dec(value)
    return f"{value.normalize():f}"


def lines_summary(lines):
    """Invoice lines in one line of text: ``2 lines: Accounts 2 × 150 @ 20%; ...``."""
    lines = list(lines or [])
    if not lines:
        return "no lines"
    parts = [f"{line.get('description', '')} {_number(line.get('quantity'))} × "
             f"{_dec(line.get('unit_price')).quantize(CENT)} @ {_number(line.get('tax_rate'))}%" for line in lines]
    return f"{len(lines)} line{'' if len(lines) == 1 else 's'}: " + "; ".join(parts)


def lines_total(lines):
    """The tax-inclusive total of line dicts, rounded per line as the practice does."""
    total = Decimal(0)
    for line in lines or []:
        amount = (_dec(line.get("quantity")) * _dec(line.get("unit_price"))).quantize(CENT, rounding=ROUND_HALF_UP)
        total += amount + (amount * _dec(line.get("tax_rate")) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return total.quantize(CENT)


def _dec(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def payment_text(amount, day, reference=""):
    """A payment as the history shows it."""
    text = f"{_dec(amount).quantize(CENT)} on {as_text(day)}"
    return f"{text} ({reference})" if reference else text


# -- reading --------------------------------------------------------------------------------------


@dataclass
class RunFilters:
    """What the runs list is narrowed to (each empty when not used)."""

    state: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""


@dataclass
class ChangeFilters:
    """What the field-change list is narrowed to (each empty when not used)."""

    record_kind: str = ""
    record_id: int | None = None
    record: str = ""
    field: str = ""
    source: str = ""
    conflict: bool = False
    run_id: int | None = None
    since: date | None = None
    until: date | None = None


def runs_query(filters):
    """Sync runs, newest first, narrowed by state, date range and text in their errors or message."""
    query = select(SyncRun).order_by(SyncRun.id.desc())
    if filters.state:
        query = query.where(SyncRun.state == filters.state)
    if filters.since:
        query = query.where(SyncRun.queued_at >= _start_of(filters.since))
    if filters.until:
        query = query.where(SyncRun.queued_at < _start_of(filters.until) + timedelta(days=1))
    if filters.text:
        # errors are JSON text: look for the term as JSON writes it (non-ASCII as \u escapes)
        needle = json.dumps(filters.text.lower())[1:-1]
        query = query.where(or_(func.lower(cast(SyncRun.errors, Text)).contains(needle, autoescape=True),
                                func.lower(SyncRun.message).contains(filters.text.lower(), autoescape=True)))
    return query


def changes_query(filters):
    """Field changes, newest first, narrowed by record, field, side, conflicts, run and dates."""
    query = select(FieldChange).order_by(FieldChange.changed_at.desc(), FieldChange.id.desc())
    if filters.record_kind:
        query = query.where(FieldChange.record_kind == filters.record_kind)
    if filters.record_id is not None:
        query = query.where(FieldChange.record_id == filters.record_id)
    if filters.record:
        term = filters.record.lower()
        query = query.where(or_(
            and_(FieldChange.record_kind == "client", FieldChange.record_id.in_(
                select(Client.id).where(func.lower(Client.name).contains(term, autoescape=True)))),
            and_(FieldChange.record_kind == "invoice", FieldChange.record_id.in_(
                select(Invoice.id).where(func.lower(Invoice.number).contains(term, autoescape=True))))))
    if filters.field:
        query = query.where(FieldChange.field == filters.field)
    if filters.source:
        query = query.where(FieldChange.source == filters.source)
    if filters.conflict:
        query = query.where(FieldChange.conflict.is_(True))
    if filters.run_id is not None:
        query = query.where(FieldChange.run_id == filters.run_id)
    if filters.since:
        query = query.where(FieldChange.changed_at >= _start_of(filters.since))
    if filters.until:
        query = query.where(FieldChange.changed_at < _start_of(filters.until) + timedelta(days=1))
    return query


def _start_of(day):
    return datetime(day.year, day.month, day.day)


def latest_changes(record_kind, record_id, limit=PANEL_SIZE):
    """The newest field changes of one client or invoice (for its "Xero sync history" panel)."""
    return db.session.scalars(changes_query(ChangeFilters(record_kind=record_kind, record_id=record_id))
                              .limit(limit)).all()


def record_names(changes):
    """``{(kind, id): name}`` for the records these changes belong to (client name, invoice number)."""
    client_ids = {c.record_id for c in changes if c.record_kind == "client"}
    invoice_ids = {c.record_id for c in changes if c.record_kind == "invoice"}
    names = {}
    if client_ids:
        names.update({("client", i): n for i, n in db.session.execute(
            select(Client.id, Client.name).where(Client.id.in_(client_ids)))})
    if invoice_ids:
        names.update({("invoice", i): n for i, n in db.session.execute(
            select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids)))})
    return names


def fields_recorded():
    """The field names that appear in the history, for the filter's choices."""
    return sorted(db.session.scalars(select(FieldChange.field).distinct()))


def conflicts_of(run):
    """The conflict messages among a run's recorded errors."""
    return [e for e in run.errors or [] if e.get("kind") == "conflict"]


def problems_of(run):
    """A run's recorded errors other than conflicts."""
    return [e for e in run.errors or [] if e.get("kind") != "conflict"]


def duration(run):
    """How long a run took, as text ("" while it has not started or finished)."""
    if not run.started_at or not run.finished_at:
        return ""
    seconds = max(0, int((run.finished_at - run.started_at).total_seconds()))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


# -- retention ------------------------------------------------------------------------------------


def retention_days():
    """How many days of history are kept (Integration Settings), read without creating the settings row."""
    settings = db.session.get(XeroSettings, 1)
    return settings.history_days if settings is not None and settings.history_days else DEFAULT_DAYS


def prune(days=None, now=None):
    """Delete runs and field changes older than the retention; return ``(runs, changes)`` deleted.

    Two indexed DELETEs; the newest run and runs still queued or running are always kept.
    """
    cutoff = (now or utcnow()) - timedelta(days=days or retention_days())
    newest = db.session.scalar(select(func.max(SyncRun.id)))
    old_runs = select(SyncRun.id).where(SyncRun.queued_at < cutoff, SyncRun.state.not_in(("queued", "running")),
                                        SyncRun.id != newest)
    changes = db.session.execute(delete(FieldChange).where(FieldChange.changed_at < cutoff)).rowcount
    # a long run may straddle the cutoff: its younger changes stay, without their run
    db.session.execute(update(FieldChange).where(FieldChange.run_id.in_(old_runs)).values(run_id=None))
    runs = db.session.execute(delete(SyncRun).where(SyncRun.id.in_(old_runs.scalar_subquery()))).rowcount
    db.session.commit()
    return runs, changes


def prune_history():
    """Periodic job: apply the history retention (does nothing while the plugin is off)."""
    from bm.plugins import current_plugins

    if not current_plugins().is_enabled("xero"):
        return None
    return prune()
