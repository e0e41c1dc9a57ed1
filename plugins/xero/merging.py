"""Linking one practice client to one Xero contact: Merge (per system or per field) and Create in BrightManager."""
from flask_login import current_user
from sqlalchemy import select

from bm import services
from bm.extensions import db

from .models import ContactLink
from .outbox import finish_open, open_entry
from .sync.contacts import link_pair
from .sync.fields import FIELD_LABELS, SYNCED_FIELDS, client_values, new_client_values, practice_values

SIDES = ("practice", "xero")


class LinkRefused(Exception):
    """The link cannot be made; the message says why."""


def check_free(tenant_id, contact, client):
    """Raise LinkRefused unless both the client and the Xero contact are unlinked."""
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
    check_free(tenant_id, contact, client)
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
