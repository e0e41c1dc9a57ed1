"""Changing links between practice clients and Xero contacts, settings, and the red Disconnect."""
import logging
import time
from contextlib import contextmanager
import dataclasses
from datetime import timedelta

from flask_login import current_user
from sqlalchemy import func, select, update

from bm import services
from bm.extensions import db
from bm.models import Client, utcnow

from bm.jobs import redis_connection

from .api import XeroError
from .history import retention_days
from .models import ContactLink, FieldChange, InvoiceLink, LinkBatch, MatchSuggestion, XeroContact
from .oauth import client_for, decrypt_tokens
from .outbox import drop_all_open, drop_open, finish_open, open_count, open_entry, waiting_entry
from .sync import invoices as invoice_sync
from .sync.engine import SyncBusy, organisation_lock
from .sync.contacts import link_pair
from .sync.fields import SYNCED_FIELDS, client_values, new_client_values, practice_values

log = logging.getLogger(__name__)


SIDES = ("practice", "xero")
FIELD_LABELS = {
    "name": "Name", "first_name": "First name", "last_name": "Last name", "email": "Email",
    "phone": "Phone", "address_line1": "Address line 1", "address_line2": "Address line 2",
    "city": "Town or city", "region": "Region", "postcode": "Postcode", "country": "Country",
    "tax_number": "Tax number", "account_number": "Account number",
}


class LinkRefused(Exception):
    """The link cannot be made; the message says why."""


def _check_free(tenant_id, contact, client):
    if ContactLink.live_for(client.id) is not None:
        raise LinkRefused(f"{client.name} is already linked to a Xero contact.")
    taken = db.session.scalar(select(ContactLink.id).where(
        ContactLink.tenant_id == tenant_id, ContactLink.contact_id == contact.contact_id,
        ContactLink.archived_at.is_(None)))
    if taken:
        raise LinkRefused(f"{contact.name} in Xero is already linked to another client.")


def merge(tenant_id, contact, client, use):
    """Link a client and a Xero contact, making both hold the chosen values.

    ``use`` is "xero" or "practice" for every field, or ``{field: "xero" | "practice"}`` to
    choose per field (a field both sides already agree on needs no choice). Values chosen
    from Xero are written to the client now; for values kept from the practice the link
    remembers Xero's current value, so the next sync sees the practice's value as the
    change and writes it to Xero.

    :return: ``(link, changes)``, ``changes`` being what the client took from Xero as
        ``{field: (old, new)}``.
    """
    _check_free(tenant_id, contact, client)
    ours, theirs = practice_values(client), client_values(contact.data)
    sides = _sides(use, ours, theirs)
    taken = {field: theirs[field] for field in SYNCED_FIELDS if sides[field] == "xero"}
    try:
        changes = services.update_client(client, taken, source="xero", actor=current_user) if taken else {}
    except services.ValidationError as exc:
        raise LinkRefused(f"Xero's values cannot be used for {client.name}: {exc}") from None
    agreed = practice_values(client)
    snapshot = {field: agreed[field] if sides[field] == "xero" else theirs[field] for field in SYNCED_FIELDS}
    link = link_pair(client, tenant_id, contact.contact_id, snapshot)
    if snapshot == agreed:
        finish_open("client", client.id)  # a client waiting to be created in Xero is linked instead
    else:
        open_entry("client", client.id)
    return link, changes


def merge_choices(form):
    """The Merge pop-up's answer as ``{field: side}``: a row's own choice, else "Use the data from"."""
    use = form.get("use")
    return {field: form.get(f"keep_{field}") or use for field in SYNCED_FIELDS}


def _sides(use, ours, theirs):
    picks = use if isinstance(use, dict) else dict.fromkeys(SYNCED_FIELDS, use)
    if not any(side in SIDES for side in picks.values()):
        raise LinkRefused("Choose which system's data to keep.")
    sides = {}
    for field in SYNCED_FIELDS:
        side = picks.get(field)
        if side not in SIDES and ours[field] != theirs[field]:
            raise LinkRefused(f"Choose which {FIELD_LABELS[field].lower()} to keep.")
        sides[field] = side if side in SIDES else "practice"
    return sides


def create_from_contact(tenant_id, contact):
    """Create a practice client from a Xero contact and link the two (Create in BrightManager)."""
    taken = db.session.scalar(select(ContactLink.id).where(
        ContactLink.tenant_id == tenant_id, ContactLink.contact_id == contact.contact_id,
        ContactLink.archived_at.is_(None)))
    if taken:
        raise LinkRefused(f"{contact.name} in Xero is already linked to a client.")
    client = services.create_client(new_client_values(contact.data), source="xero", actor=current_user)
    link_pair(client, tenant_id, contact.contact_id, practice_values(client))
    return client


# -- Link all at N% or above, and its undo ------------------------------------------------------

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
    try:
        return min(100, max(LOWEST_THRESHOLD, int(value)))
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


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


def link_batch(tenant_id, threshold, chosen, use, made_by):
    """Link the chosen pairs of the plan at ``threshold`` in one LinkBatch, each as Merge would.

    :param chosen: ``(contact_id, client_id)`` pairs the user left ticked on the review screen.
    :param use: "practice" or "xero", the system whose data every pair keeps.
    :return: ``(batch or None, linked candidates, notes)``; notes say what was not linked and why.
    """
    if use not in SIDES:
        raise LinkRefused("Choose which system's data to keep.")
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
            notes.append(_no_longer_planned(tenant_id, key, threshold))
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


def _no_longer_planned(tenant_id, key, threshold):
    contact, client = db.session.get(XeroContact, key[0]), db.session.get(Client, key[1])
    if contact is None or client is None:
        return "A pair on the review screen no longer exists."
    try:
        _check_free(tenant_id, contact, client)
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
    with _sync_paused(batch.tenant_id):
        for link in db.session.scalars(select(ContactLink).where(
                ContactLink.link_batch_id == batch.id, ContactLink.archived_at.is_(None))).all():
            _undo_link(batch, link, outcome)
        batch.undone_at = utcnow()
        db.session.commit()
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


@contextmanager
def _sync_paused(tenant_id):
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            with organisation_lock(redis_connection(), tenant_id):
                yield
                return
        except SyncBusy:
            if time.monotonic() > deadline:
                raise LinkRefused("A sync of this organisation is running: undo again in a moment.") from None
            time.sleep(0.5)


NO_BANK = ("Before turning on the invoice sync you will need to configure a bank account in Xero. "
           "Invoice sync cannot be enabled until there is one.")
LOCK_WAIT_SECONDS = 15


def save_settings(settings, form, connection=None, choices=None):
    """Save Integration Settings from a form; return ``{field: message}`` errors.

    :param choices: the organisation's banks, sales accounts and tax rates as just read from
        Xero (``tax_rates.organisation_choices``), or None when Xero cannot be read; then the
        invoice settings stay as they are.
    Switching invoice sync on takes the baseline of Xero's existing sales invoices first
    (network calls), so nothing is changed until every check has passed.
    """
    values, errors = {"client_sync_enabled": form.get("client_sync_enabled") == "1"}, {}
    try:
        minutes = int(form.get("sync_interval_minutes", "15"))
        if not 0 <= minutes <= 1440:
            raise ValueError
        values["sync_interval_minutes"] = minutes
    except ValueError:
        errors["sync_interval_minutes"] = "Enter a number of minutes from 0 (off) to 1440."
    if choices is not None:
        invoice_values, invoice_errors = _invoice_settings(form, choices)
        values.update(invoice_values)
        errors.update(invoice_errors)
    elif form.get("invoice_sync_enabled") == "1" and not settings.invoice_sync_enabled:
        errors["invoice_sync_enabled"] = "Xero could not be read, so invoice sync cannot be turned on now."
    if errors:
        return errors
    switching_on = values.get("invoice_sync_enabled") and not settings.invoice_sync_enabled
    if switching_on:
        try:
            start_invoice_sync(connection)
        except (SyncBusy, XeroError) as exc:
            return {"invoice_sync_enabled": f"Invoice sync could not be turned on: {exc}"}
        values["invoice_sync_enabled_at"] = utcnow()
    retry = any(getattr(settings, key) != values[key] for key in ("sales_account_code", "default_tax_type")
                if key in values)
    for key, value in values.items():
        setattr(settings, key, value)
    if retry:
        invoice_sync.retry_refused_invoices()
    return {}


def _invoice_settings(form, choices):
    values, errors = {}, {}
    enabled = form.get("invoice_sync_enabled") == "1"
    banks = {bank["AccountID"]: bank for bank in choices["banks"]}
    bank_id = form.get("default_bank_account_id", "")
    if enabled and not banks:
        errors["invoice_sync_enabled"] = NO_BANK
    elif bank_id in banks:
        values["default_bank_account_id"] = bank_id
        values["default_bank_account_name"] = f"{banks[bank_id].get('Name', '')} ({banks[bank_id].get('Code', '')})"
    elif enabled or bank_id:
        errors["default_bank_account_id"] = "Select your Default Bank."
    codes = {account.get("Code") for account in choices["sales_accounts"]}
    code = form.get("sales_account_code", "")
    if code in codes:
        values["sales_account_code"] = code
    elif enabled or code:
        errors["sales_account_code"] = "Choose the sales account invoice lines are coded to."
    tax_type = form.get("default_tax_type", "")
    if tax_type and tax_type not in {rate.tax_type for rate in choices["tax_rates"]}:
        errors["default_tax_type"] = "Choose one of the organisation's tax rates."
    else:
        values["default_tax_type"] = tax_type
    values["invoice_sync_enabled"] = enabled
    return values, errors


def start_invoice_sync(connection):
    """Take the baseline of Xero's sales invoices under the organisation's sync lock.

    Waits a little for a running sync to finish, so the baseline and a sync's pull never overlap.
    Invoices already linked (sync was on before) are read again in full on the next sync, so
    nothing Xero did to them while sync was off is missed.
    """
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            with organisation_lock(redis_connection(), connection.tenant_id):
                invoice_sync.take_baseline(client_for(connection), connection.tenant_id)
                if db.session.scalar(select(InvoiceLink.id).where(InvoiceLink.tenant_id == connection.tenant_id).limit(1)):
                    connection.invoices_modified_since = None
                db.session.commit()
                return
        except SyncBusy:
            if time.monotonic() > deadline:
                raise SyncBusy("a sync of this organisation is running; save again in a moment.") from None
            time.sleep(0.5)


def disconnect_counts(connection):
    """What the red Disconnect would remove: ``{"links": n, "waiting": n}``."""
    links = db.session.scalar(select(func.count()).select_from(ContactLink).where(
        ContactLink.tenant_id == connection.tenant_id, ContactLink.archived_at.is_(None)))
    return {"links": links, "waiting": open_count()}


def disconnect(connection):
    """Revoke the token, remove the connection in Xero and remove every client link.

    The links are archived rather than deleted, so integrating again with the same
    organisation can offer them back; queued work is dropped.
    """
    xero = client_for(connection)
    tokens = decrypt_tokens(connection.encrypted_tokens)
    if connection.xero_connection_id and connection.is_connected:
        try:
            xero.delete_connection(connection.xero_connection_id)
        except Exception as exc:  # the local disconnect must happen even if Xero is unreachable
            log.warning("could not delete the Xero connection: %s", exc)
    if tokens.get("refresh_token"):
        xero.revoke(tokens["refresh_token"])
    db.session.execute(update(ContactLink).where(
        ContactLink.tenant_id == connection.tenant_id, ContactLink.archived_at.is_(None)).values(archived_at=utcnow()))
    drop_all_open()
    connection.status, connection.status_reason = "removed", "Disconnected by a user."
    connection.encrypted_tokens = b""


