"""Client sync: pull Xero contacts, reconcile linked pairs field by field, push new clients."""
import logging
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.models import Client, utcnow

from .. import history
from ..api import BATCH_SIZE, any_of, url_sized, xero_date
from ..models import ContactLink, OutboxEntry, XeroContact
from ..outbox import done, finish_unsent, open_entry, refuse, unsent, waiting_ids
from . import batches
from .changes import ChangedSince, as_last_answered
from .fields import SYNCED_FIELDS, client_values, contact_body, practice_values

log = logging.getLogger(__name__)
NAME_TAKEN = "is already assigned to another contact"


def naive_utc(moment):
    """An aware datetime as the naive UTC the database keeps (None stays None)."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment else None


def check_contact(contact):
    """Return why a contact from Xero cannot be used, or None if it can."""
    if not isinstance(contact, dict):
        return "not a JSON object"
    if not isinstance(contact.get("ContactID"), str) or not contact["ContactID"]:
        return "no ContactID"
    if not isinstance(contact.get("Name", ""), str):
        return "Name is not text"
    try:
        xero_date(contact.get("UpdatedDateUTC"))
    except (ValueError, TypeError, OverflowError):
        return f"unreadable UpdatedDateUTC {str(contact.get('UpdatedDateUTC'))[:40]!r}"
    return None


def store_contacts(tenant_id, contacts, run):
    """Save a page of pulled contacts in the local copy; return the ids of those kept."""
    usable = []
    for contact in contacts:
        problem = check_contact(contact)
        if problem:
            run.note_error(f"Skipped a contact from Xero: {problem}.", contact)
            continue
        usable.append(contact)
    existing = {row.contact_id: row for row in db.session.scalars(
        select(XeroContact).where(XeroContact.contact_id.in_([c["ContactID"] for c in usable])))}
    for contact in usable:
        row = existing.get(contact["ContactID"]) or XeroContact(contact_id=contact["ContactID"])
        row.tenant_id = tenant_id
        row.name = str(contact.get("Name") or "")[:255]
        row.contact_number = str(contact.get("ContactNumber") or "")[:50]
        row.status = str(contact.get("ContactStatus") or "ACTIVE")[:20]
        row.is_customer = bool(contact.get("IsCustomer")) or row.is_customer is True
        row.data = contact
        row.updated_date_utc = naive_utc(xero_date(contact.get("UpdatedDateUTC")))
        row.pulled_at = utcnow()
        db.session.add(row)
    return [contact["ContactID"] for contact in usable]


def pull_contacts(xero, connection, run):
    """Bring the contacts changed in Xero since the last sync into the local copy, a page at a time.

    :return: the ids of linked contacts that changed in Xero, and the pull (a ``ChangedSince``).
    """
    changes = ChangedSince(xero, "Contacts", "ContactID", {"includeArchived": "true"},
                           connection.contacts_modified_since, as_last_answered(
                               XeroContact.contact_id, XeroContact.updated_date_utc,
                               XeroContact.tenant_id == connection.tenant_id))
    changed_links = set()
    for page in changes.pages():
        ids = store_contacts(connection.tenant_id, page, run)
        changed_links.update(db.session.scalars(select(ContactLink.contact_id).where(
            ContactLink.contact_id.in_(ids), ContactLink.archived_at.is_(None))))
        run.count("contacts_pulled", len(ids))
        run.advance(changes.received, changes.total, "contacts read from Xero", 10, 45)
        db.session.commit()
    connection.contacts_modified_since = changes.watermark
    db.session.commit()
    return changed_links, changes


def skip_own_writes(connection, changes):
    """Move the contacts watermark past what this sync wrote to Xero, if nothing else changed there
    (the local copy keeps the UpdatedDateUTC of every answer to a write)."""
    connection.contacts_modified_since = changes.past_own_writes()
    db.session.commit()


def fetch_contacts(xero, tenant_id, contact_ids, run):
    """Fetch named contacts by id (a webhook's), store them, and return the linked ones among them."""
    ids = sorted(contact_ids)
    for page in contacts_by_id(xero, ids):
        store_contacts(tenant_id, page, run)
        run.count("contacts_pulled", len(page))
        db.session.commit()
    return set(db.session.scalars(select(ContactLink.contact_id).where(
        ContactLink.contact_id.in_(ids), ContactLink.archived_at.is_(None))))


def contacts_by_id(xero, ids):
    """Yield pages of the contacts with these ids, archived ones included.

    Read as pages, as the pull does: only paged (or single) reads carry MergedToContactID.
    """
    def params(chunk):
        return {"IDs": ",".join(chunk), "includeArchived": "true"}

    for chunk in url_sized(ids, "Contacts", params):
        yield from xero.pages("Contacts", "Contacts", params(chunk))


def mark_customers(tenant_id, contact_ids):
    """Xero makes a contact a customer when it gets a sales invoice (UpdatedDateUTC may not move)."""
    for row in db.session.scalars(select(XeroContact).where(XeroContact.contact_id.in_(list(contact_ids)))):
        row.is_customer = True


# -- linked pairs -------------------------------------------------------------------------------


@dataclass
class PairPlan:
    """What a sync does to one linked pair: the fields each way and the conflicts it settles.

    ``conflicts`` maps a field changed on both sides to the side whose change wins ("Xero" or
    "practice"); ``practice`` and ``xero`` are both sides' values when the decision was made.
    """

    to_xero: dict
    to_practice: dict
    conflicts: dict
    practice: dict
    xero: dict


def plan_pair(client, snapshot, contact_data, contact_updated):
    """Decide, field by field against the snapshot, what each side must take from the other.

    A pure decision shared by the sync and by Preview sync: it reads and writes nothing.
    """
    ours, theirs, snapshot = practice_values(client), client_values(contact_data), snapshot or {}
    plan = PairPlan({}, {}, {}, ours, theirs)
    for field in SYNCED_FIELDS:
        before = snapshot.get(field, ours[field])
        practice_changed, xero_changed = ours[field] != before, theirs[field] != before
        if ours[field] == theirs[field]:
            continue
        if practice_changed and xero_changed:
            xero_newer = (contact_updated or utcnow()) > client.updated_at
            plan.conflicts[field] = "Xero" if xero_newer else "practice"
            (plan.to_practice if xero_newer else plan.to_xero)[field] = theirs[field] if xero_newer else ours[field]
        elif xero_changed:
            plan.to_practice[field] = theirs[field]
        else:
            plan.to_xero[field] = ours[field]
    return plan


def reconcile(link, xero_contact, run):
    """Decide what each side of a linked pair must take from the other, noting conflicts on the run.

    :return: a ``PairPlan`` (``to_xero``, ``to_practice``, ``conflicts``).
    """
    plan = plan_pair(link.client, link.snapshot, xero_contact.data, xero_contact.updated_date_utc)
    for field, winner in plan.conflicts.items():
        run.note_conflict(link.client.name, field, plan.practice[field], plan.xero[field], winner)
    return plan


def sync_linked(xero, tenant_id, contact_ids, client_ids, run):
    """Bring linked pairs whose contact or client changed into step, both ways."""
    links = db.session.scalars(select(ContactLink).where(
        ContactLink.tenant_id == tenant_id, ContactLink.archived_at.is_(None),
        (ContactLink.contact_id.in_(list(contact_ids))) | (ContactLink.client_id.in_(list(client_ids))),
    )).all()
    updates = []
    for link in links:
        contact = db.session.get(XeroContact, link.contact_id)
        if contact is None:
            continue
        plan = reconcile(link, contact, run)
        to_xero, to_practice = plan.to_xero, plan.to_practice
        if to_practice:
            try:
                with db.session.begin_nested():
                    applied = services.update_client(link.client, to_practice, source="xero", actor=history.SYNC_ACTOR)
                    history.record_changes(run, "client", link.client_id, applied, "xero", plan.conflicts)
            except services.ValidationError as exc:
                run.note_error(f"Skipped Xero's changes to {link.client.name}: {exc}", contact.data)
                continue
            run.count("clients_updated")
        if to_xero:
            updates.append((link, to_xero, plan))
        else:
            link.snapshot, link.synced_at = practice_values(link.client), utcnow()
    db.session.commit()
    for start in range(0, len(updates), BATCH_SIZE):
        _push_updates(xero, updates[start:start + BATCH_SIZE], run)
    finish_unsent("client", client_ids)
    db.session.commit()


def _push_updates(xero, updates, run):
    bodies = [{"ContactID": link.contact_id, **contact_body(practice_values(link.client), fields)}
              for link, fields, _plan in updates]
    for (link, fields, plan), element in zip(updates, batches.send_updates(xero, "Contacts", bodies)):
        if batches.refused(element) or element.get("ContactID") != link.contact_id:
            message = batches.messages(element) if batches.refused(element) else (
                f"Xero answered with another contact ({element.get('ContactID') or 'none'}) than the one linked "
                f"({link.contact_id}); nothing was taken from the answer.")
            refuse(open_entry("client", link.client_id), message, {})
            run.note_error(f"Xero refused the update of {link.client.name}: {message}")
            continue
        link.snapshot, link.synced_at = practice_values(link.client), utcnow()
        history.record_changes(run, "client", link.client_id, {f: (plan.xero[f], v) for f, v in fields.items()},
                               "practice", plan.conflicts)
        store_contacts(link.tenant_id, [element], run)
        run.count("contacts_updated")
    db.session.commit()


# -- new clients --------------------------------------------------------------------------------


def push_new_clients(xero, tenant_id, run):
    """Create a Xero contact for each new practice client waiting in the outbox, and link it.

    Each batch is saved with its Idempotency-Key before it is sent (see batches.py). A batch
    whose answer was lost in an earlier run is settled from the freshly pulled contacts first
    (by ContactNumber, which carries the practice reference, and name), so nothing is created
    twice.
    """
    batches.settle_interrupted(xero, tenant_id, [NEW_CONTACTS], run)
    linked = select(ContactLink.client_id).where(ContactLink.archived_at.is_(None))
    waiting = list(db.session.scalars(select(OutboxEntry.id).where(
        unsent("client"), OutboxEntry.object_id.not_in(linked)).order_by(OutboxEntry.id)))
    for start in range(0, len(waiting), BATCH_SIZE):
        run.advance(start, len(waiting), "clients sent to Xero", 50, 80)  # saved with the batch
        # Loaded a batch at a time: each batch's commits would expire a list loaded up front.
        entries = db.session.scalars(select(OutboxEntry).where(
            OutboxEntry.id.in_(waiting[start:start + BATCH_SIZE])).order_by(OutboxEntry.id)).all()
        clients = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_([e.object_id for e in entries])))}
        items = [(entry, {"ContactNumber": clients[entry.object_id].reference,
                          **contact_body(practice_values(clients[entry.object_id]))})
                 for entry in entries if entry.object_id in clients]
        batches.send(xero, batches.save(tenant_id, NEW_CONTACTS, items), NEW_CONTACTS, run)


def _take_created_contacts(batch, answers, run):
    """Link each client to the contact Xero created for it, or keep Xero's reason for refusing it."""
    object_ids = [entry.object_id for entry, _element in answers]
    clients = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(object_ids)))}
    already_linked = set(db.session.scalars(select(ContactLink.client_id).where(
        ContactLink.client_id.in_(object_ids), ContactLink.archived_at.is_(None))))
    created = []
    for entry, element in answers:
        client = clients.get(entry.object_id)
        if client is None:
            continue
        if batches.refused(element):
            message = batches.messages(element)
            holder = _name_holder(batch.tenant_id, client.name) if NAME_TAKEN in message else None
            refuse(entry, message, {"holder_contact_id": holder} if holder else {})
            run.note_error(f"Xero refused {client.name}: {message}")
            continue
        created.append(element)
        if client.id not in already_linked:
            db.session.add(ContactLink(client=client, tenant_id=batch.tenant_id, contact_id=element["ContactID"],
                                       snapshot=client_values(element), synced_at=utcnow()))
            history.record(run, "client", client.id, "xero_contact", "", f"created as {element.get('Name') or client.name}",
                           "practice")
        done(entry)
        run.count("contacts_created")
    store_contacts(batch.tenant_id, created, run)


def _contacts_found(batch):
    """The contacts of an interrupted batch that the pull found in Xero, by ContactNumber and name."""
    found = {}
    for client_id, body in zip(batch.object_ids, batch.body):
        created = db.session.scalar(select(XeroContact).where(
            XeroContact.tenant_id == batch.tenant_id, XeroContact.contact_number == body.get("ContactNumber"),
            XeroContact.name == body.get("Name")))
        if created is not None:
            found[client_id] = created
    return found


def _link_found_contacts(batch, found, run):
    for client_id, contact in found.items():
        client = db.session.get(Client, client_id)
        if client is not None and ContactLink.live_for(client_id) is None:
            link_pair(client, batch.tenant_id, contact.contact_id, client_values(contact.data))
            run.count("contacts_recovered")


def _read_back_contacts(xero, batch, run):
    """Read the batch's contacts from Xero by ContactNumber (the practice reference) into the local copy."""
    def params(numbers):
        return {"where": any_of("ContactNumber", numbers), "includeArchived": "true"}

    numbers = [body["ContactNumber"] for body in batch.body if body.get("ContactNumber")]
    for chunk in url_sized(numbers, "Contacts", params):
        for page in xero.pages("Contacts", "Contacts", params(chunk)):
            store_contacts(batch.tenant_id, page, run)
            db.session.commit()


NEW_CONTACTS = batches.RecordKind("contact-create", "Contacts", take_answers=_take_created_contacts,
                                  arrived=_contacts_found, read_back=_read_back_contacts,
                                  recover=_link_found_contacts)


def _name_holder(tenant_id, name):
    return db.session.scalar(select(XeroContact.contact_id).where(
        XeroContact.tenant_id == tenant_id, XeroContact.name == name, XeroContact.status == "ACTIVE"))


# -- links ------------------------------------------------------------------------------------------


def link_pair(client, tenant_id, contact_id, agreed_values):
    """Link a client to a Xero contact, remembering the values both sides now share."""
    link = ContactLink(client=client, tenant_id=tenant_id, contact_id=contact_id,
                       snapshot=agreed_values, synced_at=utcnow())
    db.session.add(link)
    db.session.flush()
    return link


def linked_clients_waiting(tenant_id):
    """Ids of linked clients with practice changes waiting to go to Xero."""
    return set(db.session.scalars(waiting_ids("client").join(
        ContactLink, (ContactLink.client_id == OutboxEntry.object_id) & ContactLink.archived_at.is_(None)
    ).where(ContactLink.tenant_id == tenant_id)))


