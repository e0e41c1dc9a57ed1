""""Why isn't this in Xero?": a client's Xero status worked out from live state, with the fix.

Each answer is a ``Diagnosis``: a tone for the panel ("ok", "waiting", "problem", "info"), one
plain sentence, and the buttons that fix it. The checks follow the help article's
troubleshooting order, then go further (the IsCustomer rule, duplicates, the daily limit).
"""
from dataclasses import dataclass, field

from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from bm.localtime import local_time
from bm.models import utcnow
from bm.ui import Action
from bm.extensions import db

from . import matching
from .connection import active_connection, integration_settings
from .models import ContactLink, MatchSuggestion, XeroContact
from .outbox import is_refused, waiting_entry
from .sync.engine import latest_run


@dataclass(frozen=True)
class Diagnosis:
    tone: str
    message: str
    actions: list = field(default_factory=list)
    details: list = field(default_factory=list)


def _sync_now():
    return Action("Sync Now", url=url_for("xero.sync_now"), method="post", style="primary")


def _reconnect():
    if current_user.is_authenticated and current_user.is_admin:
        return [Action("Reconnect Xero Integration", url=url_for("xero.connect"), style="primary")]
    return [Action("Open Tools > Integrations > Xero", url=url_for("xero.index"))]


def _open(contact_id, label="Open in Xero"):
    return Action(label, url=url_for("xero.open_contact", contact_id=contact_id), external=True)


def diagnose_client(client):
    """Where the client stands with Xero and what, if anything, to do about it."""
    connection = active_connection()
    if connection is None:
        return None
    link = ContactLink.live_for(client.id)
    entry = waiting_entry("client", client.id)
    if not connection.is_connected:
        return Diagnosis("problem", "The Xero integration is disconnected, so nothing reaches Xero until it is "
                                    "reconnected. Nothing waiting is lost: after reconnecting, click Sync Now.",
                         _reconnect())
    if connection.daily_limit_until and connection.daily_limit_until > utcnow():
        return Diagnosis("waiting", f"Xero's daily limit of calls for this organisation is used up; syncing "
                                    f"resumes at {local_time(connection.daily_limit_until, '%H:%M')}. Nothing is lost.")
    if is_refused(entry):
        holder = entry.detail.get("holder_contact_id") if entry.detail else None
        actions = []
        if holder:
            actions = [Action("Link to the existing Xero contact", method="post", style="primary",
                              url=url_for("xero.link_existing", client_id=client.id, contact_id=holder)),
                       _open(holder, "Open it in Xero")]
        return Diagnosis("problem", f"Xero refused this client: {entry.last_error}", actions,
                         [] if holder else ["Correct the client's details and save; the change is sent again "
                                            "on the next sync."])
    run = latest_run(connection.tenant_id)
    if entry is not None and run is not None and run.state == "stopped":
        return Diagnosis("problem", f"Waiting to go to Xero, but the last sync stopped: {run.message}", [_sync_now()])
    if link is not None:
        return _linked(client, link, entry)
    if entry is not None:
        return Diagnosis("waiting", "This client will be added to Xero as a contact on the next sync.",
                         [_sync_now()])
    return _unlinked(client, connection)


def _linked(client, link, entry):
    contact = db.session.get(XeroContact, link.contact_id)
    name = contact.name if contact else "its Xero contact"
    twins = _look_alikes(client, exclude=link.contact_id)
    details = [f"Xero also has {twin.name}, which looks like the same client. If it is a duplicate, merge the "
               f"two contacts in Xero." for twin in twins]
    actions = [_open(link.contact_id)] + [_open(twin.contact_id, f"Open {twin.name} in Xero") for twin in twins]
    if entry is not None:
        return Diagnosis("waiting", f"Linked to {name} in Xero. Changes made here go to Xero on the next sync.",
                         [_sync_now(), *actions], details)
    return Diagnosis("ok", f"Linked to {name} in Xero; changes on either side are copied on each sync.",
                     actions, details)


def _unlinked(client, connection):
    if client.archived:
        return Diagnosis("info", "This client is archived, and archived clients are not sent to Xero.")
    if not integration_settings().client_sync_enabled:
        actions = [Action("Integration Settings", url=url_for("xero.settings"))] if current_user.is_admin else []
        return Diagnosis("info", "Client sync is off, so new clients are not added to Xero.", actions)
    suggestion = db.session.execute(
        select(MatchSuggestion, XeroContact).join(XeroContact, XeroContact.contact_id == MatchSuggestion.contact_id)
        .where(MatchSuggestion.client_id == client.id).order_by(MatchSuggestion.score.desc())
    ).first()
    if suggestion is not None:
        match, contact = suggestion
        return Diagnosis(
            "info", f"Not linked. The Xero customer {contact.name} looks like this client ({match.score}%: "
                    f"{', '.join(match.reasons)}). Merge them to link the two.",
            [Action("Merge", url=url_for("xero_linking.merge", contact_id=contact.contact_id, client_id=client.id),
                    style="primary"), _open(contact.contact_id)])
    for contact in _look_alikes(client):
        if not contact.is_customer:
            return Diagnosis(
                "info", f"Not linked. {contact.name} in Xero looks like this client but is a contact, not yet "
                        f"a customer: Xero makes a contact a customer once it has a sales invoice, and only "
                        f"customers are listed under Tools > Integrations > Xero. You can link them now.",
                [Action("Link to this Xero contact", method="post", style="primary",
                        url=url_for("xero.link_existing", client_id=client.id, contact_id=contact.contact_id)),
                 _open(contact.contact_id)])
    return Diagnosis(
        "info", "Not linked. This client was in the practice before the integration, so it is not added to Xero "
                "automatically; no Xero contact looks like it. Add it to Xero now, or link it from "
                "Tools > Integrations > Xero when it appears there.",
        [Action("Add to Xero", url=url_for("xero.add_client", client_id=client.id), method="post", style="primary")])


def _look_alikes(client, exclude=None, threshold=80):
    """Unlinked active Xero contacts that plausibly are this client (by the matching score).

    Candidates share the first word of the normalised name or carry the client's reference
    as their contact code; at most a few are scored.
    """
    connection = active_connection()
    # NOT EXISTS, not NOT IN: a probe of the live-link index per candidate instead of hashing every link
    linked = select(ContactLink.id).where(ContactLink.tenant_id == XeroContact.tenant_id,
                                          ContactLink.contact_id == XeroContact.contact_id,
                                          ContactLink.archived_at.is_(None))
    first_word = (matching.normalise_name(client.name).split() or [""])[0]
    similar = XeroContact.name.ilike(f"{first_word}%") if len(first_word) >= 3 else False
    candidates = db.session.scalars(select(XeroContact).where(
        XeroContact.tenant_id == connection.tenant_id, XeroContact.status == "ACTIVE",
        ~linked.exists(), XeroContact.contact_id != (exclude or ""),
        similar | (XeroContact.contact_number == client.reference),
    ).limit(20)).all()
    # Scored together against the one client: the same scores as explain() pair by pair, 30x faster.
    ranked = matching.suggest([contact.data for contact in candidates], [client.as_dict()], limit=1)
    scored = [(ranked[c.contact_id][0].score if ranked[c.contact_id] else 0, c) for c in candidates]
    return [contact for score, contact in sorted(scored, key=lambda pair: -pair[0]) if score >= threshold][:3]
