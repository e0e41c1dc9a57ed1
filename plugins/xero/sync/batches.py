"""Batched writes to Xero: saved with their Idempotency-Key before they leave, sent, answered
record by record, and settled when an answer was lost.

A batch that creates records is saved (key, body, the objects it carries) and committed before
the request leaves. If its answer never comes back (a crash, a lost response), the next sync
settles it: what the pull shows did reach Xero is linked; if nothing did and the key is still
young, the same request goes again with the same key (safe even if the first is still in
flight); otherwise what is missing goes back to the queue for a new batch. If Xero answers a
batch with a server error, its key is never sent again (Xero may replay the error, or forget
the key and write twice): what arrived is read back from Xero at once, and the rest goes in a
new batch with a new key, saved before it is sent. Each kind of record
supplies a ``RecordKind``: its endpoint, how to take Xero's answer for one record, and how to
tell a record arrived. Updates to records Xero already has are sent unsaved with a fresh key:
sending one twice is harmless.
"""
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Callable

from sqlalchemy import func, select

from bm.extensions import db
from bm.models import utcnow

from ..api import WriteFailed, XeroValidationError, new_idempotency_key
from ..models import OutboxEntry, WriteBatch
from ..outbox import claim, done, release

# Xero keeps an Idempotency-Key for about six minutes; resend with the same key only well inside that.
KEY_STILL_VALID = timedelta(minutes=4)


class BatchState(StrEnum):
    """Where a saved batch stands."""

    SENDING = "sending"  # saved and sent; Xero's answer not recorded yet
    DONE = "done"  # Xero's answer recorded
    FAILED = "failed"  # Xero answered with a server error; settled from what is read back, never resent
    SETTLED = "settled"  # the answer was lost; settled from what the pull found


@dataclass(frozen=True)
class RecordKind:
    """A kind of record created in Xero through saved batches.

    ``take_answers(batch, [(entry, element)], run)`` records what Xero made of each record;
    ``arrived(batch)`` returns ``{object_id: what was found}`` for the records of an interrupted
    batch that reached Xero; ``recover(batch, arrived, run)`` links those the pull has not;
    ``read_back(xero, batch, run)`` reads the batch's records from Xero into the local copy, so
    that ``arrived`` sees them without waiting for the next pull.
    """

    name: str
    endpoint: str
    take_answers: Callable
    arrived: Callable
    read_back: Callable
    recover: Callable = lambda batch, arrived, run: None


def save(tenant_id, kind, items):
    """Save a create batch of ``[(entry, body)]`` with a new key, tie the entries to it and commit."""
    entries = [entry for entry, _body in items]
    batch = WriteBatch(tenant_id=tenant_id, kind=kind.name, method="PUT", idempotency_key=new_idempotency_key(),
                       body=[body for _entry, body in items], object_ids=[entry.object_id for entry in entries])
    db.session.add(batch)
    db.session.flush()
    claim(entries, batch.id)
    db.session.commit()  # the key and body are saved before the request leaves
    return batch


def send(xero, batch, kind, run, resends=2):
    """Send a saved batch (again, with its own key), record Xero's answer for each record and commit.

    After a server error, what arrived is read back and the rest is sent in a new batch, up to
    ``resends`` times; what is still missing then waits for the next sync.
    """
    try:
        elements = xero.write(batch.method, kind.endpoint, kind.endpoint, batch.body, batch.idempotency_key)
    except XeroValidationError as exc:
        elements = [refusal(exc)] * len(batch.body)
    except WriteFailed as exc:
        batch.state = BatchState.FAILED
        db.session.commit()  # whatever happens next, this key is not sent again
        kind.read_back(xero, batch, run)
        rest = _settle(batch, kind, kind.arrived(batch), run)
        if rest and resends:
            bodies = dict(zip(batch.object_ids, batch.body))
            send(xero, save(batch.tenant_id, kind, [(entry, bodies[entry.object_id]) for entry in rest]),
                 kind, run, resends - 1)
        elif rest:
            run.note_error(f"{exc} {len(rest)} record{'s' if len(rest) != 1 else ''} not in Xero will be sent "
                           "again on the next sync.")
        return
    entries = {entry.object_id: entry for entry in db.session.scalars(
        select(OutboxEntry).where(OutboxEntry.batch_id == batch.id))}
    kind.take_answers(batch, [(entries[object_id], element) for object_id, element in zip(batch.object_ids, elements)
                              if object_id in entries], run)
    batch.state, batch.done_at = BatchState.DONE, utcnow()
    db.session.commit()


def settle_interrupted(xero, tenant_id, kinds, run):
    """Finish this organisation's batches of these kinds whose answer never came back, or was a server error."""
    by_name = {kind.name: kind for kind in kinds}
    for batch in db.session.scalars(select(WriteBatch).where(
            WriteBatch.tenant_id == tenant_id, WriteBatch.state.in_([BatchState.SENDING, BatchState.FAILED]),
            WriteBatch.kind.in_(list(by_name))).order_by(WriteBatch.id)).all():
        kind = by_name[batch.kind]
        arrived = kind.arrived(batch)
        if batch.state == BatchState.SENDING and not arrived and batch.first_sent_at > utcnow() - KEY_STILL_VALID:
            send(xero, batch, kind, run)
            continue
        _settle(batch, kind, arrived, run)


def _settle(batch, kind, arrived, run):
    """Link what of a batch arrived, put the rest back in the queue, commit; return the entries put back."""
    kind.recover(batch, arrived, run)
    rest = []
    for entry in db.session.scalars(select(OutboxEntry).where(OutboxEntry.batch_id == batch.id)).all():
        if entry.object_id in arrived:
            done(entry)
        else:
            release(entry)
            rest.append(entry)
    batch.state, batch.done_at = BatchState.SETTLED, utcnow()
    db.session.commit()
    return rest


def interrupted_count(tenant_id):
    """How many of the organisation's batches wait to be settled."""
    return db.session.scalar(select(func.count()).select_from(WriteBatch).where(
        WriteBatch.tenant_id == tenant_id, WriteBatch.state.in_([BatchState.SENDING, BatchState.FAILED])))


def send_updates(xero, endpoint, bodies):
    """POST changes to records Xero already has, with a fresh key; return Xero's answer for each.

    After a server error they go once more with another fresh key: an update sent twice is harmless.
    """
    for attempt in range(2):
        try:
            return xero.write("POST", endpoint, endpoint, bodies, new_idempotency_key())
        except XeroValidationError as exc:
            return [refusal(exc)] * len(bodies)
        except WriteFailed:
            if attempt:
                raise


def refusal(exc):
    """Xero's refusal of a whole request, as the answer for each record in it."""
    return {"StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": m} for m in exc.messages]}


def refused(element):
    """Whether Xero refused the record ``element`` answers for."""
    return element.get("StatusAttributeString") == "ERROR" or bool(element.get("HasErrors")) or bool(
        element.get("HasValidationErrors"))


def messages(element):
    """Xero's validation messages for one record, as one sentence."""
    return " ".join(e.get("Message", "") for e in element.get("ValidationErrors") or []) or "Xero refused it."
