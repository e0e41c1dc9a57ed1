"""Who changed what: one history per client and per invoice, whoever made the change.

The services stage a ``HistoryEntry`` for every field they change (``record_changes``), in the
same transaction as the change, so the history commits or rolls back with what it describes.
The actor is a user, or the label of what acted for nobody in particular (e.g. "Xero sync").
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, select

from .extensions import db
from .localtime import practice_zone
from .models import HistoryEntry, PracticeSettings, User, utcnow
from .ui import PeriodicJob

SYSTEM = "System"
MAX_VALUE = 2000
CENT = Decimal("0.01")
PANEL_SIZE = 10
DEFAULT_DAYS = 365
ENTRIES_ORDER = (HistoryEntry.changed_at.desc(), HistoryEntry.id.desc())  # newest first, keyset-paged
FIELD_LABELS = {
    "created": "Created", "archived": "Archived", "reference": "Reference", "kind": "Type", "name": "Name",
    "first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone",
    "address_line1": "Address line 1", "address_line2": "Address line 2", "city": "City", "region": "Region",
    "postcode": "Postcode", "country": "Country", "tax_number": "Tax number", "account_number": "Account number",
    "notes": "Notes", "number": "Number", "date": "Date", "due_date": "Due date", "lines": "Lines",
    "total": "Total", "status": "Status", "payment": "Payment",
}


# -- recording ------------------------------------------------------------------------------------


def record(record_kind, record_id, field, before, after, actor):
    """Stage one changed field of a client or invoice; it commits with the change itself.

    :param actor: the ``User`` who made the change, a label such as "Xero sync", or None (System).
    """
    user_id, label = actor_of(actor)
    db.session.add(HistoryEntry(record_kind=record_kind, record_id=record_id, field=field,
                                before=as_text(before), after=as_text(after), user_id=user_id, actor=label,
                                changed_at=utcnow()))


def record_changes(record_kind, record_id, changes, actor):
    """Stage a ``{field: (before, after)}`` dict, one entry per field.

    Invoice lines are kept as a one-line summary, with the total alongside when it moved.
    """
    for field, (before, after) in changes.items():
        if field == "lines":
            record(record_kind, record_id, "lines", lines_summary(before), lines_summary(after), actor)
            if lines_total(before) != lines_total(after):
                record(record_kind, record_id, "total", lines_total(before), lines_total(after), actor)
        else:
            record(record_kind, record_id, field, before, after, actor)


def actor_of(actor):
    """``(user_id, label)`` for a User, a label, or None."""
    if isinstance(actor, User) or hasattr(actor, "is_authenticated"):  # flask_login's current_user too
        return (actor.id, actor.name or actor.email) if actor.is_authenticated else (None, SYSTEM)
    return None, str(actor or SYSTEM)[:255]


def as_text(value):
    """A value as the history shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)[:MAX_VALUE]


def lines_summary(lines):
    """Invoice lines in one line of text: ``2 lines: Accounts 2 × 150.00 @ 20%; ...``."""
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


def payment_text(amount, day, reference=""):
    """A payment as the history shows it."""
    text = f"{_dec(amount).quantize(CENT)} on {as_text(day)}"
    return f"{text} ({reference})" if reference else text


def _number(value):
    """A quantity or rate without trailing zeros (2, 1.5, 20)."""
    return f"{_dec(value).normalize():f}"


def _dec(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


# -- reading --------------------------------------------------------------------------------------


@dataclass
class Filters:
    """What a record's history is narrowed to (each empty when not used)."""

    field: str = ""
    who: str = ""  # "user:<id>", or an actor's label such as "Xero sync"
    since: date | None = None
    until: date | None = None


def entries_query(record_kind, record_id, filters=Filters()):
    """A record's history, newest first, narrowed by field, who and date range (practice days)."""
    query = (select(HistoryEntry)
             .where(HistoryEntry.record_kind == record_kind, HistoryEntry.record_id == record_id)
             .order_by(*ENTRIES_ORDER))
    if filters.field:
        query = query.where(HistoryEntry.field == filters.field)
    if filters.who.startswith("user:") and filters.who[5:].isdigit():
        query = query.where(HistoryEntry.user_id == int(filters.who[5:]))
    elif filters.who:
        query = query.where(HistoryEntry.user_id.is_(None), HistoryEntry.actor == filters.who)
    if filters.since:
        query = query.where(HistoryEntry.changed_at >= _start_of_day_utc(filters.since))
    if filters.until:
        query = query.where(HistoryEntry.changed_at < _start_of_day_utc(filters.until + timedelta(days=1)))
    return query


def _start_of_day_utc(day):
    """Midnight of a practice-zone day, as the naive UTC the database keeps."""
    local = datetime(day.year, day.month, day.day, tzinfo=practice_zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def latest(record_kind, record_id, limit=PANEL_SIZE):
    """The newest entries of one record (for the History panel)."""
    return db.session.scalars(entries_query(record_kind, record_id).limit(limit)).all()


def choices(record_kind, record_id):
    """``(fields, who)`` recorded for a record, for the filter's dropdowns: who as ``[(value, label)]``."""
    where = (HistoryEntry.record_kind == record_kind, HistoryEntry.record_id == record_id)
    fields = sorted(db.session.scalars(select(HistoryEntry.field).where(*where).distinct()),
                    key=lambda field: FIELD_LABELS.get(field, field))
    who = {}
    for user_id, label in db.session.execute(select(HistoryEntry.user_id, HistoryEntry.actor).where(*where)
                                             .distinct()):
        who.setdefault(f"user:{user_id}" if user_id else label, label)
    return fields, sorted(who.items(), key=lambda item: item[1].lower())


# -- retention ------------------------------------------------------------------------------------


def retention_days():
    """How many days of history are kept (Settings), read without creating the settings row."""
    settings = db.session.get(PracticeSettings, 1)
    return settings.history_days if settings is not None and settings.history_days else DEFAULT_DAYS


def cutoff(now=None, days=None):
    """The moment before which history is no longer kept."""
    return (now or utcnow()) - timedelta(days=days or retention_days())


def prune(now=None):
    """Delete history entries older than the retention (one indexed DELETE); return how many."""
    deleted = db.session.execute(delete(HistoryEntry).where(HistoryEntry.changed_at < cutoff(now))).rowcount
    db.session.commit()
    return deleted


PRUNE_JOB = PeriodicJob(name="history-prune", func=prune, interval=3600)
