"""Xero webhooks: checking a delivery's signature and reading which records changed."""
import base64
import hashlib
import hmac


def signature_is_valid(raw_body, signature, key):
    """Whether ``signature`` is base64(HMAC-SHA256(key, raw body)), compared in constant time."""
    if not key or not signature:
        return False
    expected = base64.b64encode(hmac.new(key.encode(), raw_body, hashlib.sha256).digest())
    # compared as bytes: compare_digest refuses non-ASCII text, and the header is whatever was sent
    return hmac.compare_digest(expected, signature.strip().encode())


def changed_records(payload, tenant_id):
    """``(contact_ids, invoices_changed)`` from a delivery's events for one organisation.

    Event types and categories are read case-insensitively (Xero's pages and spec disagree);
    events for other organisations, or of other kinds, are ignored.
    """
    contact_ids, invoices_changed = set(), False
    events = payload.get("events") if isinstance(payload, dict) else None
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict) or str(event.get("tenantId", "")).lower() != str(tenant_id).lower():
            continue
        category = str(event.get("eventCategory", "")).upper()
        if category == "CONTACT" and isinstance(event.get("resourceId"), str):
            contact_ids.add(event["resourceId"])
        elif category == "INVOICE":
            invoices_changed = True
    return contact_ids, invoices_changed
