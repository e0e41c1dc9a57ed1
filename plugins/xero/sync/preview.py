"""Preview sync: what the next sync would change, worked out from Xero reads and the local outbox.

It writes nothing anywhere: Xero is only read (contacts and invoices modified since the
watermarks, and invoices of newly linked contacts by id), and the database only queried; the
contact cache, watermarks, links and outbox stay as they are. Linked pairs are decided by the
sync's own ``contacts.plan_pair``, so the preview and the sync cannot disagree on who wins.
"""
import math
import time

from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.models import Client, Invoice, Payment, utcnow

from ..api import BATCH_SIZE, xero_date
from ..history import FIELD_LABELS, as_text, lines_summary, lines_total, payment_text
from ..models import (APPROVED_IN_XERO, GONE_IN_XERO, ContactLink, InvoiceLink, InvoiceSyncStart, OutboxEntry,
                      XeroContact, XeroSettings)
from ..outbox import unsent, waiting_entry
from . import batches
from .changes import ChangedSince
from .contacts import naive_utc, check_contact, linked_clients_waiting, plan_pair
from .invoice_plan import inbound_action, invoice_outbound, linked_news, payment_decisions, payment_outbound
from .invoices import (changed_invoices_query, check_invoice, client_linked, known_payment_ids, newly_linked_invoices,
                       our_unanswered_invoice, page_context, payment_linked, practice_values, sent_payments)
from ..usage import days_needed
from .tax_rates import tax_type_for

LISTED = 200  # rows kept per section; the counts stay exact


class PreviewTouchedData(RuntimeError):
    """The preview left a change on the session: a bug, refused rather than committed."""


def preview_sync(xero, connection, progress=lambda phase, percent: None):
    """Work out what the next sync of ``connection`` would do, reading Xero and writing nothing.

    :param progress: called with ``(phase, percent)`` as the preview goes.
    :return: a plain dict (JSON-ready) of sections: ``new_clients``, ``pairs``, ``new_customers``,
        ``invoices_in``, ``invoices_out``, ``payments_out``, ``notes``, with ``calls`` and ``seconds``.
    """
    started, calls_before = time.monotonic(), xero.calls
    xero.before_call = db.session.rollback  # never commit on the way to the network
    settings = db.session.get(XeroSettings, 1)
    tenant_id = connection.tenant_id
    result = {"organisation": connection.organisation_name, "made_at": utcnow().isoformat(timespec="seconds"),
              "client_sync": settings is None or settings.client_sync_enabled,
              "invoice_sync": False, "notes": [], "new_clients": [], "pairs": [], "new_customers": [],
              "invoices_in": [], "invoices_out": [], "payments_out": [], "counts": {}}

    progress("Reading contacts changed in Xero", 10)
    contacts = _changed_contacts(xero, connection.contacts_modified_since, result)
    progress("Comparing linked clients", 40)
    result["pairs"] = _pairs(tenant_id, contacts)
    if result["client_sync"]:
        result["new_clients"] = _new_clients()
    else:
        result["notes"].append("Client sync is off in Integration Settings: no new clients would be added to Xero.")

    progress("Reading invoices changed in Xero", 60)
    start = db.session.get(InvoiceSyncStart, tenant_id) if settings and settings.invoice_sync_enabled else None
    result["invoice_sync"] = start is not None
    invoices = _changed_invoices(xero, connection.invoices_modified_since, start is not None, result)
    result["new_customers"] = _new_customers(tenant_id, contacts, invoices)
    if start is not None:
        progress("Comparing invoices", 75)
        result["invoices_in"] = _invoices_in(tenant_id, invoices) + _invoices_of_newly_linked(xero, tenant_id)
        progress("Reading the outbox", 90)
        result["invoices_out"] = _invoices_out(tenant_id, settings)
        result["payments_out"] = _payments_out()
    interrupted = batches.interrupted_count(tenant_id)
    if interrupted:
        result["notes"].append(f"{interrupted} interrupted batch{'es' if interrupted != 1 else ''} would be settled "
                               "first (what reached Xero is linked, the rest sent again).")

    _refuse_if_touched()
    result["counts"] = {key: len(result[key]) for key in
                        ("new_clients", "pairs", "new_customers", "invoices_in", "invoices_out", "payments_out")}
    result["conflicts"] = sum(len(pair["conflicts"]) for pair in result["pairs"])
    for key in ("new_clients", "pairs", "new_customers", "invoices_in", "invoices_out", "payments_out"):
        result[key] = result[key][:LISTED]
    result["calls"] = xero.calls - calls_before
    # The sync reads what the preview read, then writes in batches.
    result["calls_needed"] = result["calls"] + sum(math.ceil(result["counts"][key] / BATCH_SIZE) for key in
                                                   ("new_clients", "pairs", "invoices_out", "payments_out"))
    result["notes"] += [note for note in [days_needed(result["calls_needed"], xero.day_remaining)] if note]
    result["seconds"] = round(time.monotonic() - started, 2)
    progress("Done", 100)
    return result


def _refuse_if_touched():
    session = db.session
    if session.new or session.dirty or session.deleted:
        touched = sorted({type(obj).__name__ for obj in [*session.new, *session.dirty, *session.deleted]})
        session.rollback()
        raise PreviewTouchedData(f"Preview sync staged changes to {', '.join(touched)}; nothing was saved.")
    session.rollback()


# -- clients --------------------------------------------------------------------------------------


def _changed_contacts(xero, since, result):
    """The usable contacts Xero changed since the watermark, by id (read, never stored)."""
    found = {}
    for page in ChangedSince(xero, "Contacts", "ContactID", {"includeArchived": "true"}, since).pages():
        for contact in page:
            if check_contact(contact) is None:
                found[contact["ContactID"]] = contact
    result["contacts_read"] = len(found)
    return found


def _pairs(tenant_id, contacts):
    """Linked pairs the sync would bring into step, with each field's way and any conflict."""
    waiting = linked_clients_waiting(tenant_id)
    links = db.session.scalars(select(ContactLink).where(
        ContactLink.tenant_id == tenant_id, ContactLink.archived_at.is_(None),
        ContactLink.contact_id.in_(list(contacts)) | ContactLink.client_id.in_(list(waiting)),
    ).order_by(ContactLink.id)).all()
    pairs = []
    for link in links:
        if link.contact_id in contacts:
            data = contacts[link.contact_id]
            updated = naive_utc(xero_date(data.get("UpdatedDateUTC")))
        else:
            cached = db.session.get(XeroContact, link.contact_id)
            if cached is None:
                continue
            data, updated = cached.data, cached.updated_date_utc
        plan = plan_pair(link.client, link.snapshot, data, updated)
        if not plan.to_xero and not plan.to_practice:
            continue
        pairs.append({
            "client_id": link.client_id, "client": link.client.name, "contact": str(data.get("Name") or ""),
            "to_xero": [_field(f, plan, f in plan.conflicts) for f in plan.to_xero],
            "to_practice": [_field(f, plan, f in plan.conflicts) for f in plan.to_practice],
            "conflicts": [{"field": FIELD_LABELS.get(f, f), "winner": w} for f, w in plan.conflicts.items()],
        })
    return pairs


def _field(field, plan, conflict):
    return {"field": FIELD_LABELS.get(field, field), "practice": plan.practice[field], "xero": plan.xero[field],
            "conflict": conflict, "winner": plan.conflicts.get(field, "")}


def _new_clients():
    """Practice clients waiting in the outbox to be created in Xero."""
    linked = select(ContactLink.client_id).where(ContactLink.archived_at.is_(None))
    rows = db.session.execute(select(Client.id, Client.name, Client.reference).join(
        OutboxEntry, OutboxEntry.object_id == Client.id).where(unsent("client"), Client.id.not_in(linked),
                                                               ).order_by(OutboxEntry.id)).all()
    return [{"id": row.id, "name": row.name, "reference": row.reference} for row in rows]


def _new_customers(tenant_id, contacts, invoices):
    """Xero contacts that would newly be listed for matching (customers, not linked)."""
    invoiced = {d["Contact"]["ContactID"] for d in invoices if d.get("Status") not in GONE_IN_XERO}
    candidates = {cid for cid, data in contacts.items() if data.get("IsCustomer")} | invoiced
    if not candidates:
        return []
    linked = set(db.session.scalars(select(ContactLink.contact_id).where(
        ContactLink.tenant_id == tenant_id, ContactLink.archived_at.is_(None), ContactLink.contact_id.in_(candidates))))
    cached = {row.contact_id: row for row in db.session.scalars(
        select(XeroContact).where(XeroContact.contact_id.in_(candidates)))}
    found = []
    for contact_id in sorted(candidates - linked):
        row, data = cached.get(contact_id), contacts.get(contact_id)
        if row is not None and row.is_customer:
            continue
        if data is None and row is None:
            continue  # a contact the sync has never read: it is not listed until it is
        status = (data or {}).get("ContactStatus") or (row.status if row else "ACTIVE")
        if status == "ACTIVE":
            found.append({"name": str((data or {}).get("Name") or (row.name if row else "")), "contact_id": contact_id})
    return sorted(found, key=lambda c: c["name"].lower())


# -- invoices -------------------------------------------------------------------------------------


def _changed_invoices(xero, since, with_lines, result):
    """The usable sales invoices Xero changed since the watermark (read, never stored)."""
    found = []
    for page in ChangedSince(xero, "Invoices", "InvoiceID", changed_invoices_query(with_lines), since).pages():
        found += [data for data in page if check_invoice(data) is None]
    result["invoices_read"] = len(found)
    return found


def _invoices_of_newly_linked(xero, tenant_id):
    """Invoices raised in Xero for contacts linked since; read by id as the sync would."""
    return _invoices_in(tenant_id, [data for _ids, invoices in newly_linked_invoices(xero, tenant_id)
                                    for data in invoices])


def _invoices_in(tenant_id, invoices):
    """What Xero's changed invoices would do here: come in, change linked ones, or be recognised."""
    links, baseline, client_ids = page_context(tenant_id, invoices)
    names = dict(db.session.execute(select(Client.id, Client.name).where(Client.id.in_(client_ids.values()))).all())
    rows = []
    for data in invoices:
        number = data.get("InvoiceNumber") or f"Xero {data['InvoiceID'][:8]}"
        link, client_id = links.get(data["InvoiceID"]), client_ids.get(data["Contact"]["ContactID"])
        ours = our_unanswered_invoice(data) if link is None else None
        action = inbound_action(data, link, ours, data["InvoiceID"] in baseline, client_id)
        if action == "update" and (row := _linked_invoice_news(link, data)):
            rows.append(row)
        elif action == "recognise":
            rows.append({"action": "recognised", "number": number, "client": ours.client.name, "invoice_id": ours.id,
                         "changes": [], "note": f"Our invoice {ours.number}, sent before an answer was lost: "
                                                "it would be linked, not sent again."})
        elif action == "import":
            lines = _lines(tenant_id, data)
            status = "awaiting_payment" if data.get("Status") in APPROVED_IN_XERO else "draft"
            rows.append({"action": "import", "number": number, "client": names[client_id],
                         "invoice_id": None, "status": data.get("Status") or "DRAFT",
                         "total": as_text(data.get("Total")), "changes": [],
                         "payments": _payments_in(tenant_id, number, data, [], status, lines_total(lines)),
                         "note": f"Raised in Xero: would be brought in with {lines_summary(lines)}."})
    return rows


def _linked_invoice_news(link, data):
    """The changes ``take_xero_changes`` would make to a linked invoice (None when there are none)."""
    invoice, changes, note = link.invoice, [], ""
    news = linked_news(link, invoice, data, waiting_entry("invoice", invoice.id))
    if news.status != link.xero_status:
        changes.append(_change("xero_status", link.xero_status, news.status))
    if data.get("InvoiceNumber") and data["InvoiceNumber"] != invoice.number:
        changes.append(_change("number", invoice.number, data["InvoiceNumber"]))
    if news.conflict:
        note = f"Edited in both systems: the {news.conflict} edit, the newer, would be kept."
    elif news.supersedes:
        note = "Approved in Xero before the practice's change was sent: Xero's values would be kept."
    total = invoice.total
    if news.takes_values:
        value_changes, clean = _value_changes(invoice, practice_values(link.tenant_id, data, link.origin == "xero"))
        changes += value_changes
        total = lines_total(clean["lines"]) if "lines" in clean else total
    if news.approves:
        changes.append(_change("status", "draft", "awaiting_payment"))
    payments = []
    if news.takes_payments:
        payments = _payments_in(link.tenant_id, invoice.number, data, sent_payments(invoice),
                                "awaiting_payment" if news.approves else invoice.status, total - invoice.amount_paid)
    if not changes and not payments and not note:
        return None
    return {"action": "update", "number": invoice.number, "client": invoice.client.name, "invoice_id": invoice.id,
            "changes": changes, "payments": payments, "note": note}


def _value_changes(invoice, values):
    """The fields ``services.update_invoice`` would change, compared as it compares them, and the
    cleaned values (empty when they could not be saved)."""
    try:
        clean = services.clean_invoice_data(values)
    except services.ValidationError as exc:
        return [_change("lines", "", f"Xero's values could not be saved: {'; '.join(exc.errors.values())}")], {}
    changes = [_change(field, getattr(invoice, field), clean[field]) for field in ("date", "due_date", "reference")
               if field in clean and getattr(invoice, field) != clean[field]]
    if "lines" in clean and services.line_dicts(invoice) != clean["lines"]:
        changes.append(_change("lines", lines_summary(services.line_dicts(invoice)), lines_summary(clean["lines"])))
    return changes, clean


def _payments_in(tenant_id, number, data, sent, status, amount_due):
    """Xero's payments of an invoice as the sync would take them: recorded here, or why not."""
    rows = []
    for decision in payment_decisions(number, data.get("Payments"), known_payment_ids(tenant_id, data), sent,
                                      status, amount_due, _day):
        text = payment_text(decision.amount, decision.day, decision.reference)
        if decision.action == "record":
            rows.append(text)
        elif decision.action == "refuse":
            rows.append(f"{text}, not recorded here: {decision.message}")
    return rows


def _invoices_out(tenant_id, settings):
    """Practice invoices waiting in the outbox: new drafts for Xero, or edits to drafts there."""
    rows = []
    for entry in db.session.scalars(select(OutboxEntry).where(unsent("invoice")).order_by(OutboxEntry.id)).all():
        invoice = db.session.get(Invoice, entry.object_id)
        link = InvoiceLink.for_invoice(entry.object_id)
        action = invoice_outbound(invoice, link, client_linked(invoice, link))
        if action not in ("create", "update"):
            continue
        missing = sorted({as_text(line.tax_rate) for line in invoice.lines
                          if tax_type_for(tenant_id, line.tax_rate, settings.default_tax_type) is None})
        rows.append({"action": action, "number": invoice.number, "invoice_id": invoice.id,
                     "client": invoice.client.name, "total": as_text(invoice.total),
                     "xero_number": link.xero_number if link else "",
                     "summary": lines_summary(services.line_dicts(invoice)),
                     "problem": (f"No Xero sales tax rate of {', '.join(missing)}% is known here; the sync reads "
                                 "Xero's rates again and Xero may refuse it.") if missing else ""})
    return rows


def _payments_out():
    """Practice payments waiting in the outbox: those that would go to Xero and those that wait."""
    rows = []
    for entry in db.session.scalars(select(OutboxEntry).where(unsent("payment")).order_by(OutboxEntry.id)).all():
        payment = db.session.get(Payment, entry.object_id)
        if payment is None or payment_linked(payment.id):
            continue
        link = InvoiceLink.for_invoice(payment.invoice_id)
        action, _sentence = payment_outbound(link)
        if action == "wait":
            outcome = "waits: the invoice is not in Xero yet" if link is None else "waits for the invoice to be approved in Xero"
        elif action == "refuse":
            outcome = f"would not be sent: the invoice is {link.xero_status.lower()} in Xero"
        else:
            outcome = "would be sent to Xero"
        rows.append({"invoice": payment.invoice.number, "invoice_id": payment.invoice_id,
                     "payment": payment_text(payment.amount, payment.date, payment.reference), "outcome": outcome,
                     "sent": action == "send"})
    return rows


# -- small helpers --------------------------------------------------------------------------------


def _change(field, before, after):
    return {"field": FIELD_LABELS.get(field, field), "before": as_text(before), "after": as_text(after)}


def _day(value):
    try:
        return xero_date(value).date() if value else None
    except (ValueError, TypeError, OverflowError):
        return None


def _lines(tenant_id, data):
    return practice_values(tenant_id, data, with_reference=False).get("lines", [])
