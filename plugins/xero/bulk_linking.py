"""Link all at N% or above, and its undo: many Merges made and taken back together."""
import dataclasses
from datetime import timedelta

from flask_login import current_user
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.inputs import whole_number
from bm.jobs import redis_connection
from bm.models import Client, utcnow

from .history import retention_days
from .merging import SIDES, LinkRefused, check_free, merge
from .models import ContactLink, FieldChange, LinkBatch, MatchSuggestion, XeroContact
from .outbox import drop_open, waiting_entry
from .sync.engine import SyncBusy, wait_for_organisation_lock
from .sync.fields import SYNCED_FIELDS, practice_values

DEFAULT_THRESHOLD = 95
LOWEST_THRESHOLD = 50
UNDO_DAYS = 7


@dataclasses.dataclass
class Candidate:
    """A Xero contact and the practice client it would be linked to, with the match behind it."""

    contact: XeroContact
    client: Client
    score: int
    reasons: list

    @property
    def key(self):
        return self.contact.contact_id, self.client.id


@dataclasses.dataclass
class BulkPlan:
    """What linking everything at ``threshold`` would do: ``pairs`` to link, ``skipped`` with why."""

    threshold: int
    pairs: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)  # [(Candidate, note)]


@dataclasses.dataclass
class UndoOutcome:
    """What undoing a batch did, for the message that reports it."""

    unlinked: int = 0
    restored: int = 0
    cancelled: int = 0
    kept: list = dataclasses.field(default_factory=list)  # client names whose later edits were left alone
    synced: list = dataclasses.field(default_factory=list)  # client names a sync had already reconciled


def clamp_threshold(value):
    """A usable threshold from user input (whole percent, 50 to 100; 95 when unreadable)."""
    number = whole_number(value)
    return DEFAULT_THRESHOLD if number is None else min(100, max(LOWEST_THRESHOLD, number))


def bulk_plan(tenant_id, threshold):
    """The pairs "Link all at N% or above" would link, best first, and those it leaves out.

    Each unlinked customer is paired with its best suggestion if that scores ``threshold`` or
    more. A contact with two equally good suggestions is left out; a client that is the best
    suggestion of several contacts goes to the highest score, and the others are reported.
    """
    options = {}
    for suggestion, contact, client in db.session.execute(_strong_suggestions(tenant_id, threshold)):
        options.setdefault(contact.contact_id, []).append(
            Candidate(contact, client, suggestion.score, list(suggestion.reasons or [])))
    plan, best = BulkPlan(threshold), []
    for found in options.values():
        found.sort(key=lambda candidate: (-candidate.score, candidate.client.id))
        if len(found) > 1 and found[1].score == found[0].score:
            names = " and ".join(candidate.client.name for candidate in found if candidate.score == found[0].score)
            plan.skipped.append((found[0], f"{names} match {found[0].contact.name} equally well: choose one with Merge."))
        else:
            best.append(found[0])
    by_client = {}
    for candidate in best:
        by_client.setdefault(candidate.client.id, []).append(candidate)
    for rivals in by_client.values():
        rivals.sort(key=lambda candidate: (-candidate.score, candidate.contact.name))
        winner = rivals[0]
        if len(rivals) > 1 and rivals[1].score == winner.score:
            names = " and ".join(candidate.contact.name for candidate in rivals if candidate.score == winner.score)
            plan.skipped.extend((candidate, f"{winner.client.name} is the best match of both {names} "
                                            f"({winner.score}%): link one with Merge.")
                                for candidate in rivals if candidate.score == winner.score)
            continue
        plan.pairs.append(winner)
        plan.skipped.extend((loser, f"{winner.client.name} is linked to {winner.contact.name} instead, "
                                    f"the better match ({winner.score}% against {loser.score}%).")
                            for loser in rivals[1:])
    plan.pairs.sort(key=lambda candidate: (-candidate.score, candidate.contact.name))
    return plan


def _strong_suggestions(tenant_id, threshold):
    contact_linked = select(ContactLink.id).where(
        ContactLink.tenant_id == tenant_id, ContactLink.contact_id == XeroContact.contact_id,
        ContactLink.archived_at.is_(None))
    client_linked = select(ContactLink.id).where(ContactLink.client_id == Client.id, ContactLink.archived_at.is_(None))
    return (select(MatchSuggestion, XeroContact, Client)
            .join(XeroContact, XeroContact.contact_id == MatchSuggestion.contact_id)
            .join(Client, Client.id == MatchSuggestion.client_id)
            .where(MatchSuggestion.score >= threshold, XeroContact.tenant_id == tenant_id,
                   XeroContact.is_customer.is_(True), XeroContact.status == "ACTIVE", ~contact_linked.exists(),
                   Client.archived.is_(False), ~client_linked.exists()))


def link_batch(connection, threshold, chosen, use, made_by):
    """Link the chosen pairs of the plan at ``threshold`` in one LinkBatch, each as Merge would.

    :param chosen: ``(contact_id, client_id)`` pairs the user left ticked on the review screen.
    :param use: "practice" or "xero", the system whose data every pair keeps.
    :return: ``(batch or None, linked candidates, notes)``; notes say what was not linked and why.
    """
    if use not in SIDES:
        raise LinkRefused("Choose which system's data to keep.")
    tenant_id = connection.tenant_id
    plan = bulk_plan(tenant_id, threshold)
    planned = {candidate.key: candidate for candidate in plan.pairs}
    left_out = {candidate.key: note for candidate, note in plan.skipped}
    batch = LinkBatch(tenant_id=tenant_id, threshold=threshold, made_by=made_by, made_at=utcnow())
    db.session.add(batch)
    db.session.flush()
    linked, notes = [], list(left_out.values())
    for key in sorted(set(chosen) - set(left_out), key=lambda key: -planned[key].score if key in planned else 0):
        candidate = planned.get(key)
        if candidate is None:
            notes.append(_no_longer_planned(connection, key, threshold))
            continue
        try:
            with db.session.begin_nested():
                link, changes = merge(tenant_id, candidate.contact, candidate.client, use)
        except LinkRefused as exc:
            notes.append(str(exc))
            continue
        link.link_batch_id, link.synced_at = batch.id, batch.made_at
        _remember_taken(batch, candidate.client, changes)
        linked.append(candidate)
    if not linked:
        db.session.delete(batch)
        return None, [], notes
    return batch, linked, notes


def _no_longer_planned(connection, key, threshold):
    contact, client = connection.organisation_contact(key[0]), db.session.get(Client, key[1])
    if contact is None or client is None:
        return "A pair on the review screen no longer exists."
    try:
        check_free(connection.tenant_id, contact, client)
    except LinkRefused as exc:
        return str(exc)
    return f"{contact.name} and {client.name} are no longer a match at {threshold}% or above."


def _remember_taken(batch, client, changes):
    # The values the client took from Xero, kept as field changes of the batch's moment so
    # Undo can put the old ones back.
    for name, (before, after) in changes.items():
        if name in SYNCED_FIELDS:
            db.session.add(FieldChange(record_kind="client", record_id=client.id, field=name,
                                       before=before or "", after=after or "", source="xero",
                                       changed_at=batch.made_at))


def undo_days():
    """How long a batch can be undone: UNDO_DAYS, or less if the sync history (which holds
    the values to put back) is kept for less."""
    return min(UNDO_DAYS, retention_days())


def undoable_batches(tenant_id):
    """Batches of the last ``undo_days()`` days not undone yet that still hold links, newest first.

    :return: ``[(batch, live link count)]``.
    """
    live = (select(ContactLink.link_batch_id, func.count().label("links"))
            .where(ContactLink.archived_at.is_(None), ContactLink.link_batch_id.is_not(None))
            .group_by(ContactLink.link_batch_id).subquery())
    return db.session.execute(
        select(LinkBatch, live.c.links).join(live, live.c.link_batch_id == LinkBatch.id)
        .where(LinkBatch.tenant_id == tenant_id, LinkBatch.undone_at.is_(None),
               LinkBatch.made_at > utcnow() - timedelta(days=undo_days()))
        .order_by(LinkBatch.made_at.desc())).all()


def undo_batch(batch):
    """Remove exactly the batch's links and revert what it did, then commit.

    Values a client took from Xero are put back unless the client was changed since. Queued
    updates to Xero of the batch's clients are cancelled. A link a sync has reconciled since the
    batch may already have written the practice's values to Xero: that cannot be taken back
    here, so such a link is only removed (reported in ``UndoOutcome.synced``). Runs under the
    organisation's sync lock, so no sync can be sending the batch's changes meanwhile.
    """
    if batch.undone_at is not None:
        raise LinkRefused("These links were already undone.")
    if batch.made_at < utcnow() - timedelta(days=undo_days()):
        raise LinkRefused(f"Links made more than {undo_days()} days ago can no longer be undone together: "
                          "unlink a client from its client file.")
    outcome = UndoOutcome()
    try:
        with wait_for_organisation_lock(redis_connection(), batch.tenant_id,
                                        "A sync of this organisation is running: undo again in a moment."):
            for link in db.session.scalars(select(ContactLink).where(
                    ContactLink.link_batch_id == batch.id, ContactLink.archived_at.is_(None))).all():
                _undo_link(batch, link, outcome)
            batch.undone_at = utcnow()
            db.session.commit()
    except SyncBusy as exc:
        raise LinkRefused(str(exc)) from None
    return outcome


def _undo_link(batch, link, outcome):
    client = link.client
    if link.synced_at is not None and link.synced_at > batch.made_at:
        outcome.synced.append(client.name)
    elif waiting_entry("client", client.id) is not None:
        outcome.cancelled += 1
    drop_open("client", client.id)
    db.session.delete(link)
    db.session.flush()  # unlinked first, so putting values back queues nothing for Xero
    taken = db.session.scalars(select(FieldChange).where(
        FieldChange.record_kind == "client", FieldChange.record_id == client.id, FieldChange.source == "xero",
        FieldChange.run_id.is_(None), FieldChange.changed_at == batch.made_at)).all()
    current = practice_values(client)
    restore = {change.field: change.before for change in taken if current[change.field] == change.after}
    if restore:
        services.update_client(client, restore, source="xero", actor=current_user)
        outcome.restored += len(restore)
    if len(restore) < len(taken):
        outcome.kept.append(client.name)
    outcome.unlinked += 1
