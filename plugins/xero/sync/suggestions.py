"""Working out match suggestions for every unlinked Xero customer (after each sync)."""
from sqlalchemy import delete, select

from bm.extensions import db
from bm.models import Client

from .. import matching
from ..models import ContactLink, MatchSuggestion, XeroContact

LIMIT = 5


def unlinked_customers_query(tenant_id):
    """Active Xero customers of the organisation that no practice client is linked to, by name."""
    linked = select(ContactLink.contact_id).where(ContactLink.tenant_id == tenant_id, ContactLink.archived_at.is_(None))
    return select(XeroContact).where(
        XeroContact.tenant_id == tenant_id, XeroContact.is_customer.is_(True), XeroContact.status == "ACTIVE",
        XeroContact.contact_id.not_in(linked),
    ).order_by(XeroContact.name, XeroContact.contact_id)


def unlinked_clients_query():
    """Active practice clients not linked to any Xero contact."""
    linked = select(ContactLink.client_id).where(ContactLink.archived_at.is_(None))
    return select(Client).where(Client.archived.is_(False), Client.id.not_in(linked))


def refresh_suggestions(tenant_id):
    """Replace the stored suggestions with fresh ones for every unlinked customer.

    :return: the number of contacts that got at least one suggestion.
    """
    contacts = [row.data for row in db.session.scalars(unlinked_customers_query(tenant_id))]
    clients = {client.id: client.as_dict() for client in db.session.scalars(unlinked_clients_query())}
    ranked = matching.suggest(contacts, list(clients.values()), limit=LIMIT)
    by_id = {contact["ContactID"]: contact for contact in contacts}
    db.session.execute(delete(MatchSuggestion))
    rows = [
        {"contact_id": contact_id, "client_id": client_id, "score": score,
         "reasons": matching.explain(by_id[contact_id], clients[client_id]).reasons}
        for contact_id, suggestions in ranked.items() if contact_id in by_id
        for client_id, score in suggestions
    ]
    if rows:
        db.session.execute(MatchSuggestion.__table__.insert(), rows)
    db.session.commit()
    return sum(1 for suggestions in ranked.values() if suggestions)


def suggestions_for(contact_ids):
    """``{contact_id: [(client, score, reasons)]}`` best first, leaving out clients now linked."""
    # NOT EXISTS, not NOT IN: PostgreSQL then probes the link index for the few suggested
    # clients instead of hashing every link and scanning every client (40 ms -> 5 ms at 100,000).
    linked = select(ContactLink.id).where(ContactLink.client_id == Client.id, ContactLink.archived_at.is_(None))
    rows = db.session.execute(
        select(MatchSuggestion, Client).join(Client, Client.id == MatchSuggestion.client_id)
        .where(MatchSuggestion.contact_id.in_(list(contact_ids)), Client.archived.is_(False),
               ~linked.exists())
        .order_by(MatchSuggestion.contact_id, MatchSuggestion.score.desc(), Client.id)
    )
    found = {contact_id: [] for contact_id in contact_ids}
    for suggestion, client in rows:
        found[suggestion.contact_id].append((client, suggestion.score, suggestion.reasons))
    return found
