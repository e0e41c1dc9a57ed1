"""The outbox: work for Xero staged in the user's transaction, and every change of its state.

An entry is open (``PENDING``: waiting for the next sync; ``ATTENTION``: Xero refused it and
it waits for the user) until it is ``DONE`` (in Xero, or nothing left to send) or ``DROPPED``
(thrown away by an undo or the red Disconnect). While a batched write carries it, its
``batch_id`` names that write. Only this module sets ``OutboxEntry.state``.
"""
from enum import StrEnum

from sqlalchemy import select, update

from bm.extensions import db

from .models import OutboxEntry


class State(StrEnum):
    """Where an outbox entry stands."""

    PENDING = "pending"
    ATTENTION = "attention"
    DONE = "done"
    DROPPED = "dropped"


OPEN = (State.PENDING, State.ATTENTION)


# -- reading --------------------------------------------------------------------------------------


def waiting_entry(kind, object_id):
    """The open outbox entry for an object, or None."""
    return waiting_entries(kind, [object_id]).get(object_id)


def waiting_entries(kind, object_ids):
    """``{object_id: open outbox entry}`` for those of the objects that have one, in one query."""
    return {entry.object_id: entry for entry in db.session.scalars(select(OutboxEntry).where(
        OutboxEntry.kind == kind, OutboxEntry.object_id.in_(list(object_ids)), OutboxEntry.state.in_(OPEN)))}


def unsent(kind):
    """The where-clause of a kind's entries the next sync sends: pending and in no batch."""
    return (OutboxEntry.kind == kind) & (OutboxEntry.state == State.PENDING) & OutboxEntry.batch_id.is_(None)


def waiting_ids(kind):
    """A query of the ids of a kind's pending objects (in a batch or not)."""
    return select(OutboxEntry.object_id).where(OutboxEntry.kind == kind, OutboxEntry.state == State.PENDING)


def in_flight(kind):
    """The where-clause of a kind's open entries sent in a batch whose answer is not in yet."""
    return (OutboxEntry.kind == kind) & OutboxEntry.batch_id.is_not(None) & OutboxEntry.state.in_(OPEN)


def is_refused(entry):
    """Whether Xero refused the entry and it waits for the user."""
    return entry is not None and entry.state == State.ATTENTION


def open_count():
    """How many entries are open, of every kind."""
    return db.session.scalar(select(db.func.count()).select_from(OutboxEntry).where(OutboxEntry.state.in_(OPEN)))


# -- transitions ----------------------------------------------------------------------------------


def open_entry(kind, object_id):
    """The open outbox entry for an object, staged on the session if there is none.

    A refused entry goes back to pending: the user changed the record, so it is tried again.
    """
    entry = waiting_entry(kind, object_id)
    if entry is None:
        entry = OutboxEntry(kind=kind, object_id=object_id, state=State.PENDING, detail={})
        db.session.add(entry)
    elif entry.state == State.ATTENTION and entry.batch_id is None:
        entry.state = State.PENDING
    return entry


def claim(entries, batch_id):
    """Tie entries to the batched write that carries them, counting the attempt."""
    for entry in entries:
        entry.batch_id, entry.attempts = batch_id, entry.attempts + 1


def done(entry, note=None):
    """The entry needs nothing more: it is in Xero, or there is nothing left to send."""
    entry.state, entry.batch_id = State.DONE, None
    if note is not None:
        entry.last_error = note


def refuse(entry, message, detail=None):
    """Xero refused the entry: it waits for the user, with Xero's message (and ``detail`` for the fix)."""
    entry.state, entry.last_error, entry.batch_id = State.ATTENTION, message, None
    if detail is not None:
        entry.detail = detail


def release(entry):
    """Back to pending, out of any batch: the next sync sends it (again)."""
    entry.state, entry.batch_id = State.PENDING, None


def retry_refused(entry):
    """Put a refused entry that no batch carries back in the queue; others are left alone."""
    if is_refused(entry) and entry.batch_id is None:
        entry.state = State.PENDING


def retry_all_refused(kinds):
    """Put every refused entry of these kinds back in the queue."""
    for entry in db.session.scalars(select(OutboxEntry).where(
            OutboxEntry.kind.in_(kinds), OutboxEntry.state == State.ATTENTION, OutboxEntry.batch_id.is_(None))):
        entry.state = State.PENDING


def finish_unsent(kind, object_ids):
    """Mark the objects' pending entries in no batch as done (the sync has brought them into step)."""
    for entry in db.session.scalars(select(OutboxEntry).where(unsent(kind), OutboxEntry.object_id.in_(list(object_ids)))):
        entry.state = State.DONE


def finish_open(kind, object_id):
    """Mark the object's open entries in no batch as done (both sides already agree)."""
    db.session.execute(update(OutboxEntry).where(*_open_unbatched(kind, object_id)).values(state=State.DONE))


def drop_open(kind, object_id):
    """Throw away the object's open entries in no batch (its link was undone)."""
    db.session.execute(update(OutboxEntry).where(*_open_unbatched(kind, object_id)).values(state=State.DROPPED))


def drop_all_open():
    """Throw away every open entry, in a batch or not (the red Disconnect)."""
    db.session.execute(update(OutboxEntry).where(OutboxEntry.state.in_(OPEN)).values(state=State.DROPPED))


def _open_unbatched(kind, object_id):
    return (OutboxEntry.kind == kind, OutboxEntry.object_id == object_id, OutboxEntry.state.in_(OPEN),
            OutboxEntry.batch_id.is_(None))
