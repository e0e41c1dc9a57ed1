"""Sync history: what each sync run changed, field by field, on which side.

The sync stages a ``FieldChange`` row where it applies a change (``record``), in the same
transaction as the change itself, so the history commits or rolls back with what it describes.
This is the sync's own log, by run and side (what reached Xero as well as what came from it),
and it undoes Link all. Each client's and invoice's history, whoever changed it, is the core's
(``bm.history``, written by the services with the actor ``SYNC_ACTOR``), which also owns how
values read and the one retention setting that both histories follow.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Text, and_, cast, delete, func, or_, select, update

from bm.extensions import db
from bm.history import as_text, cutoff, lines_summary, lines_total, payment_text, retention_days  # noqa: F401
from bm.models import Client, Invoice, utcnow

from .models import FieldChange, SyncRun
from .run_state import ACTIVE
from .sync.fields import FIELD_LABELS as CLIENT_FIELD_LABELS

SIDES = {"xero": "Xero", "practice": "Practice"}
FIELD_LABELS = {
    **CLIENT_FIELD_LABELS, "xero_contact": "Xero contact", "xero_invoice": "Xero invoice", "xero_status": "Status in Xero",
    "status": "Status", "number": "Number", "date": "Date", "due_date": "Due date", "reference": "Reference",
    "lines": "Lines", "total": "Total", "payment": "Payment", "xero_draft": "Draft in Xero",
}
SYNC_ACTOR = "Xero sync"  # who the core history says made the sync's changes to practice records
RUNS_ORDER = (SyncRun.id.desc(),)
CHANGES_ORDER = (FieldChange.changed_at.desc(), FieldChange.id.desc())


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


def runs_query(tenant_id, filters):
    """The organisation's sync runs, newest first, narrowed by state, date range and text in their
    errors or message."""
    query = select(SyncRun).where(SyncRun.tenant_id == tenant_id).order_by(*RUNS_ORDER)
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
    query = select(FieldChange).order_by(*CHANGES_ORDER)
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


# -- retention (the core's setting) ------------------------------------------------------------------


def prune(days=None, now=None):
    """Delete runs and field changes older than the retention; return ``(runs, changes)`` deleted.

    Two indexed DELETEs; the newest run and runs still queued or running are always kept.
    """
    oldest_kept = cutoff(now, days)
    newest = db.session.scalar(select(func.max(SyncRun.id)))
    old_runs = select(SyncRun.id).where(SyncRun.queued_at < oldest_kept, SyncRun.state.not_in(ACTIVE),
                                        SyncRun.id != newest)
    changes = db.session.execute(delete(FieldChange).where(FieldChange.changed_at < oldest_kept)).rowcount
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
