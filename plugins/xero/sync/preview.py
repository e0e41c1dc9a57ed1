"""Preview sync: what the next sync would change, worked out from Xero reads and the local outbox.

It writes nothing anywhere: Xero is only read (contacts and invoices modified since the
watermarks, and invoices of newly linked contacts by id), and the database only queried; the
contact cache, watermarks, links and outbox stay as they are. Linked pairs are decided by the
sync's own ``contacts.plan_pair``, so the preview and the sync cannot disagree on who wins.
"""
import time
from datetime import timezone

from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.models import Client, Invoice, Payment, utcnow

from ..api import xero_date
from ..history import FIELD_LABELS, as_text, lines_summary, payment_text
from ..models import (ContactLink, InvoiceLink, InvoiceSyncStart, OutboxEntry, PaymentLink,
                      UnlinkedContactInvoice, XeroContact, XeroSettings)
from ..outbox import in_flight, unsent, waiting_entry
from . import batches
from .contacts import naive_utc, check_contact, linked_clients_waiting, plan_pair
from .invoices import (APPROVED_IN_XERO, DRAFT_IN_XERO, GONE_IN_XERO, IDS_PER_CALL, SALES_INVOICES, check_invoice,
                       page_context, practice_values)
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
    invoices = _changed_invoices(xero, connection.invoices_modified_since, result)
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
    for page in xero.pages("Contacts", "Contacts", {"includeArchived": "true"},
                           modified_since=since.replace(tzinfo=timezone.utc) if since else None):
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


def _changed_invoices(xero, since, result):
    """The usable sales invoices Xero changed since the watermark (read, never stored)."""
    found = []
    for page in xero.pages("Invoices", "Invoices", {"where": SALES_INVOICES},
                           modified_since=since.replace(tzinfo=timezone.utc) if since else None):
        found += [data for data in page if check_invoice(data) is None]
    result["invoices_read"] = len(found)
    return found


def _invoices_of_newly_linked(xero, tenant_id):
    """Invoices raised in Xero for contacts linked since; read by id as the sync would."""
    ids = list(db.session.scalars(select(UnlinkedContactInvoice.invoice_id).join(ContactLink, (
        ContactLink.contact_id == UnlinkedContactInvoice.contact_id) & (ContactLink.tenant_id == tenant_id) & (
        ContactLink.archived_at.is_(None))).where(UnlinkedContactInvoice.tenant_id == tenant_id)))
    found = []
    for start in range(0, len(ids), IDS_PER_CALL):
        for page in xero.pages("Invoices", "Invoices", {"IDs": ",".join(ids[start:start + IDS_PER_CALL])}):
            found += [data for data in page if check_invoice(data) is None]
    return _invoices_in(tenant_id, found)


def _invoices_in(tenant_id, invoices):
    """What Xero's changed invoices would do here: come in, change linked ones, or be recognised."""
    links, baseline, client_ids = page_context(tenant_id, invoices)
    names = dict(db.session.execute(select(Client.id, Client.name).where(Client.id.in_(client_ids.values()))).all())
    clients = {contact_id: names[client_id] for contact_id, client_id in client_ids.items()}
    rows = []
    for data in invoices:
        number = data.get("InvoiceNumber") or f"Xero {data['InvoiceID'][:8]}"
        link = links.get(data["InvoiceID"])
        if link is not None:
            row = _linked_invoice_news(link, data)
            if row:
                rows.append(row)
        elif (ours := _our_unanswered_invoice(data)) is not None:
            rows.append({"action": "recognised", "number": number, "client": ours.client.name, "invoice_id": ours.id,
                         "changes": [], "note": f"Our invoice {ours.number}, sent before an answer was lost: "
                                                "it would be linked, not sent again."})
        elif data["InvoiceID"] in baseline or data.get("Status") in GONE_IN_XERO:
            continue
        elif data["Contact"]["ContactID"] in clients:
            payments = [payment_text(p.get("Amount"), _day(p.get("Date"))) for p in data.get("Payments") or []
                        if isinstance(p, dict) and p.get("PaymentID")]
            rows.append({"action": "import", "number": number, "client": clients[data["Contact"]["ContactID"]],
                         "invoice_id": None, "status": data.get("Status") or "DRAFT",
                         "total": as_text(data.get("Total")), "changes": [], "payments": payments,
                         "note": f"Raised in Xero: would be brought in with {lines_summary(_lines(tenant_id, data))}."})
    return rows


def _linked_invoice_news(link, data):
    """The changes ``take_xero_changes`` would make to a linked invoice (None when there are none)."""
    invoice, changes, note = link.invoice, [], ""
    status = data.get("Status") or link.xero_status
    if status != link.xero_status:
        changes.append(_change("xero_status", link.xero_status, status))
    if data.get("InvoiceNumber") and data["InvoiceNumber"] != invoice.number:
        changes.append(_change("number", invoice.number, data["InvoiceNumber"]))
    payments = []
    if status not in GONE_IN_XERO and invoice.status != "void":
        waiting = waiting_entry("invoice", invoice.id)
        if status in APPROVED_IN_XERO:
            if waiting is not None and waiting.batch_id is None:
                note = "Approved in Xero before the practice's change was sent: Xero's values would be kept."
            changes += _value_changes(invoice, practice_values(link.tenant_id, data, link.origin == "xero"))
            if invoice.status == "draft":
                changes.append(_change("status", "draft", "awaiting_payment"))
            payments = _new_payments(link, data)
        elif invoice.status == "draft" and waiting is None:
            changes += _value_changes(invoice, practice_values(link.tenant_id, data, link.origin == "xero"))
    if not changes and not payments and not note:
        return None
    return {"action": "update", "number": invoice.number, "client": invoice.client.name, "invoice_id": invoice.id,
            "changes": changes, "payments": payments, "note": note}


def _value_changes(invoice, values):
    """The fields ``services.update_invoice`` would change, compared as it compares them."""
    try:
        clean = services.clean_invoice_data(values)
    except services.ValidationError as exc:
        return [_change("lines", "", f"Xero's values could not be saved: {'; '.join(exc.errors.values())}")]
    changes = [_change(field, getattr(invoice, field), clean[field]) for field in ("date", "due_date", "reference")
               if field in clean and getattr(invoice, field) != clean[field]]
    if "lines" in clean and services.line_dicts(invoice) != clean["lines"]:
        changes.append(_change("lines", lines_summary(services.line_dicts(invoice)), lines_summary(clean["lines"])))
    return changes


def _new_payments(link, data):
    """Xero payments of a linked invoice not yet recorded here."""
    found = []
    for summary in data.get("Payments") or []:
        payment_id = summary.get("PaymentID") if isinstance(summary, dict) else None
        if payment_id and not db.session.scalar(select(PaymentLink.id).where(
                PaymentLink.tenant_id == link.tenant_id, PaymentLink.xero_payment_id == payment_id)):
            found.append(payment_text(summary.get("Amount"), _day(summary.get("Date")), summary.get("Reference") or ""))
    return found


def _our_unanswered_invoice(data):
    reference = data.get("Reference")
    if not reference:
        return None
    invoice = db.session.scalar(select(Invoice).join(OutboxEntry, OutboxEntry.object_id == Invoice.id).where(
        in_flight("invoice"), Invoice.number == reference))
    if invoice is None or db.session.scalar(select(InvoiceLink.id).where(InvoiceLink.invoice_id == invoice.id)):
        return None
    return invoice


def _invoices_out(tenant_id, settings):
    """Practice invoices waiting in the outbox: new drafts for Xero, or edits to drafts there."""
    rows = []
    for entry in db.session.scalars(select(OutboxEntry).where(unsent("invoice")).order_by(OutboxEntry.id)).all():
        invoice = db.session.get(Invoice, entry.object_id)
        link = InvoiceLink.for_invoice(entry.object_id)
        if invoice is None or (link is None and invoice.status == "void"):
            continue
        if link is not None and link.xero_status not in DRAFT_IN_XERO:
            continue
        client_linked = ContactLink.live_for(invoice.client_id) is not None
        if link is None and not client_linked:
            continue
        missing = sorted({as_text(line.tax_rate) for line in invoice.lines
                          if tax_type_for(tenant_id, line.tax_rate, settings.default_tax_type) is None})
        rows.append({"action": "update" if link else "create", "number": invoice.number, "invoice_id": invoice.id,
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
        if payment is None or db.session.scalar(select(PaymentLink.id).where(PaymentLink.payment_id == payment.id)):
            continue
        link = InvoiceLink.for_invoice(payment.invoice_id)
        if link is None:
            outcome = "waits: the invoice is not in Xero yet"
        elif link.xero_status in DRAFT_IN_XERO:
            outcome = "waits for the invoice to be approved in Xero"
        elif link.xero_status in GONE_IN_XERO or link.xero_status == "PAID":
            outcome = f"would not be sent: the invoice is {link.xero_status.lower()} in Xero"
        else:
            outcome = "would be sent to Xero"
        rows.append({"invoice": payment.invoice.number, "invoice_id": payment.invoice_id,
                     "payment": payment_text(payment.amount, payment.date, payment.reference), "outcome": outcome,
                     "sent": outcome == "would be sent to Xero"})
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
