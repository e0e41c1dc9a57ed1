"""Getting links back: those the red Disconnect archived, or by contact code after data loss."""
from datetime import timedelta

from sqlalchemy import delete, func, select

from bm.extensions import db
from bm.models import Client, utcnow

from ..models import ContactLink, XeroConnection, XeroContact
from .contacts import contacts_by_id, store_contacts
from .fields import practice_values


def archived_links(tenant_id):
    """Links the red Disconnect archived for this organisation, one (the latest) per client."""
    rows = db.session.scalars(select(ContactLink).where(
        ContactLink.tenant_id == tenant_id, ContactLink.archived_at.is_not(None)).order_by(ContactLink.archived_at))
    return list({link.client_id: link for link in rows}.values())


def restore_archived_links(xero, tenant_id, run):
    """Check each archived link against Xero and restore the ones whose contact is still there.

    A restored link keeps its old snapshot, so the next sync copies across whatever changed on
    either side while the integration was disconnected. Links whose contact is gone, archived or
    merged in Xero, or whose client or contact is linked again already, are reported instead.
    """
    links = archived_links(tenant_id)
    found = {}
    ids = sorted({link.contact_id for link in links})
    for contacts in contacts_by_id(xero, ids):
        store_contacts(tenant_id, contacts, run)
        found.update({c["ContactID"]: c for c in contacts if isinstance(c, dict) and "ContactID" in c})
        run.phase("Checking links against Xero", 10 + 80 * len(found) // max(len(ids), 1))
    live_clients = set(db.session.scalars(select(ContactLink.client_id).where(ContactLink.archived_at.is_(None))))
    live_contacts = set(db.session.scalars(select(ContactLink.contact_id).where(ContactLink.archived_at.is_(None))))
    for link in links:
        problem = _why_not_restorable(link, found.get(link.contact_id), live_clients, live_contacts)
        if problem:
            run.note_error(f"{link.client.name}: not restored, {problem}.")
            continue
        db.session.add(ContactLink(client_id=link.client_id, tenant_id=tenant_id, contact_id=link.contact_id,
                                   snapshot=link.snapshot, synced_at=utcnow()))
        live_clients.add(link.client_id)
        live_contacts.add(link.contact_id)
        run.count("links_restored")
    read_again_next_sync(tenant_id, live_contacts)
    db.session.execute(delete(ContactLink).where(
        ContactLink.tenant_id == tenant_id, ContactLink.archived_at.is_not(None)))
    db.session.commit()


def _why_not_restorable(link, contact, live_clients, live_contacts):
    if link.client is None or link.client.archived:
        return "the client is archived"
    if link.client_id in live_clients:
        return "the client is linked to a Xero contact again already"
    if link.contact_id in live_contacts:
        return "its Xero contact is linked to another client now"
    if contact is None:
        return "its Xero contact no longer exists"
    if contact.get("MergedToContactID"):
        return "its Xero contact was merged into another contact in Xero"
    if contact.get("ContactStatus") != "ACTIVE":
        return "its Xero contact is archived in Xero"
    return None


def recover_links_by_code(tenant_id, run):
    """Link each unlinked client to the active Xero contact whose contact code is its reference.

    BrightManager gives every contact it creates the client's reference as ContactNumber, so the
    links can be found again even after the practice database was lost. Xero's values win for
    the recovered pairs (the link's snapshot is the practice's values): a restored backup is the
    older side.
    """
    linked_clients = select(ContactLink.client_id).where(ContactLink.archived_at.is_(None))
    linked_contacts = select(ContactLink.contact_id).where(ContactLink.archived_at.is_(None))
    pairs = db.session.execute(select(Client, XeroContact).join(
        XeroContact, XeroContact.contact_number == Client.reference).where(
        XeroContact.tenant_id == tenant_id, XeroContact.status == "ACTIVE", Client.archived.is_(False),
        Client.id.not_in(linked_clients), XeroContact.contact_id.not_in(linked_contacts))).all()
    taken_clients, taken_contacts = set(), set()
    for client, contact in pairs:
        if client.id in taken_clients or contact.contact_id in taken_contacts:
            run.note_error(f"{client.name}: more than one Xero contact has contact code {client.reference}; "
                           "link it by hand.")
            continue
        db.session.add(ContactLink(client=client, tenant_id=tenant_id, contact_id=contact.contact_id,
                                   snapshot=practice_values(client), synced_at=utcnow()))
        taken_clients.add(client.id)
        taken_contacts.add(contact.contact_id)
        run.count("links_recovered")
    read_again_next_sync(tenant_id, taken_contacts)
    db.session.commit()


def read_again_next_sync(tenant_id, contact_ids):
    """Move the organisation's contact watermark back so the next pull takes these contacts as
    changed: their pairs, linked again just now, are then brought into step both ways (the pull
    leaves out what it already took, and these were read before they were linked)."""
    earliest = db.session.scalar(select(func.min(XeroContact.updated_date_utc)).where(
        XeroContact.tenant_id == tenant_id, XeroContact.contact_id.in_(list(contact_ids))))
    connection = db.session.scalar(select(XeroConnection).where(XeroConnection.tenant_id == tenant_id,
                                                                XeroConnection.status == "connected"))
    if earliest is not None and connection is not None and connection.contacts_modified_since is not None:
        connection.contacts_modified_since = min(connection.contacts_modified_since,
                                                 earliest - timedelta(microseconds=1))
