"""Invoice sync: Xero sales invoices in, practice invoices out, statuses and payments both ways.

From the moment invoice sync is switched on (a baseline of the Xero sales invoices that exist
then is taken; see ``take_baseline``), for linked clients only:

- practice invoices go to Xero as DRAFT ACCREC invoices (Reference = the practice number) and
  take the Xero invoice number; their edits update the Xero draft until it is approved there;
- Xero sales invoices not in the baseline come into the practice with their number, lines and
  status; once an invoice is approved in Xero, Xero's values win;
- payments are recorded once on each side (PaymentLink); practice payments go to Xero's Default
  Bank once the invoice is approved in Xero.

Creating writes (invoices, payments) are saved as a WriteBatch with their Idempotency-Key
before the request leaves; a batch whose answer was lost is settled from the next pull (our
invoices by Reference, our payments by amount and date) before anything is sent again.
Nothing is voided or deleted on either side because of the other.
"""
import logging
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from sqlalchemy import delete, select

from bm import services
from bm.extensions import db
from bm.models import Client, Invoice, Payment, utcnow

from .. import history
from ..api import BATCH_SIZE, any_of, url_sized, xero_date
from ..connection import active_connection, integration_settings
from ..models import (APPROVED_IN_XERO, GONE_IN_XERO, BaselineInvoice, ContactLink, InvoiceLink, InvoiceSyncStart,
                      OutboxEntry, PaymentLink, UnlinkedContactInvoice)
from ..outbox import (done, in_flight, refuse, release, retry_all_refused, retry_refused, unsent,
                      waiting_entry)
from . import batches
from .changes import ChangedSince, as_last_answered
from .invoice_plan import inbound_action, invoice_outbound, linked_news, payment_decisions, payment_outbound
from .contacts import mark_customers, naive_utc
from .tax_rates import decimal_or_none, rate_of, store_tax_rates, tax_type_for

log = logging.getLogger(__name__)
SALES_INVOICES = 'Type=="ACCREC"'
CENT = Decimal("0.01")
EDITED_FIELDS = ("date", "due_date", "lines")


# -- the enable moment ----------------------------------------------------------------------------


def take_baseline(xero, tenant_id):
    """Record the Xero sales invoices that exist now: they are never brought into the practice.

    Judging "raised after invoice sync was enabled" by this list rather than by dates means
    an old invoice edited later still stays out, and no clock has to agree with Xero's.
    Reads ``summaryOnly`` pages of 1000; the start is recorded only once the list is complete.
    :return: how many invoices the baseline holds.
    """
    db.session.execute(delete(InvoiceSyncStart).where(InvoiceSyncStart.tenant_id == tenant_id))
    db.session.execute(delete(BaselineInvoice).where(BaselineInvoice.tenant_id == tenant_id))
    db.session.commit()
    seen = set()
    for page in xero.pages("Invoices", "Invoices", {"where": SALES_INVOICES, "summaryOnly": "true"}):
        ids = {inv["InvoiceID"] for inv in page if isinstance(inv, dict) and inv.get("InvoiceID")} - seen
        db.session.add_all(BaselineInvoice(tenant_id=tenant_id, invoice_id=invoice_id) for invoice_id in ids)
        seen |= ids
        db.session.commit()  # a page at a time, as the other pulls do
    db.session.add(InvoiceSyncStart(tenant_id=tenant_id, enabled_at=utcnow(), invoices_before=len(seen)))
    db.session.flush()
    return len(seen)


def sync_start(tenant_id):
    """When invoice sync started for the organisation, if it is switched on and started."""
    if not integration_settings().invoice_sync_enabled:
        return None
    return db.session.get(InvoiceSyncStart, tenant_id)


def invoice_sync_on():
    """Whether new practice invoices should be shared with Xero right now."""
    connection = active_connection()
    return connection is not None and sync_start(connection.tenant_id) is not None


# -- pulling Xero's sales invoices ----------------------------------------------------------------


def check_invoice(data):
    """Return why a Xero invoice cannot be used, or None if it can."""
    if not isinstance(data, dict) or not isinstance(data.get("InvoiceID"), str) or not data["InvoiceID"]:
        return "no InvoiceID"
    if data.get("Type") != "ACCREC":
        return "not a sales invoice"
    if not isinstance(data.get("Contact"), dict) or not data["Contact"].get("ContactID"):
        return "no contact"
    try:
        xero_date(data.get("UpdatedDateUTC"))
        xero_date(data.get("Date"))
    except (ValueError, TypeError, OverflowError):
        return "unreadable dates"
    return None


def pull_invoices(xero, connection, run):
    """Read the sales invoices changed in Xero since the last sync, a page of 1000 at a time.

    Every sync marks the contacts of the invoices seen as customers (Xero does that without
    changing the contact). With invoice sync on, linked invoices take Xero's news, our own
    unanswered creations are recognised, and new invoices of linked contacts come in.
    """
    tenant_id = connection.tenant_id
    start = sync_start(tenant_id)
    changes = ChangedSince(xero, "Invoices", "InvoiceID", changed_invoices_query(start is not None),
                           connection.invoices_modified_since, as_last_answered(
                               InvoiceLink.xero_invoice_id, InvoiceLink.xero_updated_at,
                               InvoiceLink.tenant_id == tenant_id))
    for page in changes.pages():
        usable = []
        for data in page:
            problem = check_invoice(data)
            if problem and problem != "not a sales invoice":
                run.note_error(f"Skipped an invoice from Xero: {problem}.", data)
            elif not problem:
                usable.append(data)
        mark_customers(tenant_id, {d["Contact"]["ContactID"] for d in usable if d.get("Status") not in GONE_IN_XERO})
        if start is not None:
            _apply_page(tenant_id, usable, run)
        run.count("invoices_pulled", len(usable))
        run.advance(changes.received, changes.total, "invoices read from Xero", 80, 85)
        db.session.commit()
    connection.invoices_modified_since = changes.watermark
    db.session.commit()
    if start is not None:
        # The pull has just linked what Xero made of interrupted batches (invoices by Reference,
        # payments by amount and date): settle them before anything is sent again.
        batches.settle_interrupted(xero, tenant_id, [NEW_INVOICES, NEW_PAYMENTS], run)
    return changes


def skip_own_writes(connection, changes):
    """Move the invoices watermark past what this sync wrote to Xero, if nothing else changed there
    (an invoice's link keeps the UpdatedDateUTC of Xero's last answer)."""
    connection.invoices_modified_since = changes.past_own_writes()
    db.session.commit()


def changed_invoices_query(with_lines):
    """The query for changed sales invoices: in full, or as summaries (no lines) when they are read
    only to learn which contacts are customers."""
    return {"where": SALES_INVOICES} if with_lines else {"where": SALES_INVOICES, "summaryOnly": "true"}


def page_context(tenant_id, invoices):
    """What the practice knows of a page of Xero invoices: ``(links, baseline, clients)``.

    ``links`` maps InvoiceID to its InvoiceLink, ``baseline`` holds the ids that existed when
    invoice sync was enabled, ``clients`` maps each linked contact's id to its client's id.
    """
    ids = [data["InvoiceID"] for data in invoices]
    links = {link.xero_invoice_id: link for link in db.session.scalars(select(InvoiceLink).where(
        InvoiceLink.tenant_id == tenant_id, InvoiceLink.xero_invoice_id.in_(ids)))}
    baseline = set(db.session.scalars(select(BaselineInvoice.invoice_id).where(
        BaselineInvoice.tenant_id == tenant_id, BaselineInvoice.invoice_id.in_(ids))))
    clients = dict(db.session.execute(select(ContactLink.contact_id, ContactLink.client_id).where(
        ContactLink.tenant_id == tenant_id, ContactLink.archived_at.is_(None),
        ContactLink.contact_id.in_({d["Contact"]["ContactID"] for d in invoices}))).all())
    return links, baseline, clients


def _apply_page(tenant_id, invoices, run):
    links, baseline, clients = page_context(tenant_id, invoices)
    for data in invoices:
        link, contact_id = links.get(data["InvoiceID"]), data["Contact"]["ContactID"]
        ours = our_unanswered_invoice(data) if link is None else None
        action = inbound_action(data, link, ours, data["InvoiceID"] in baseline, clients.get(contact_id))
        try:
            with db.session.begin_nested():
                if action == "update":
                    take_xero_changes(link, data, run)
                elif action == "recognise":
                    _link_created(tenant_id, ours, data)
                    run.count("invoices_recovered")
                elif action == "import":
                    import_invoice(tenant_id, clients[contact_id], data, run)
                    _forget_unlinked(tenant_id, [data["InvoiceID"]])
                elif action == "forget":
                    _forget_unlinked(tenant_id, [data["InvoiceID"]])
                elif action == "remember":
                    db.session.merge(UnlinkedContactInvoice(tenant_id=tenant_id, invoice_id=data["InvoiceID"],
                                                            contact_id=contact_id))
        except services.ValidationError as exc:
            run.note_error(f"Invoice {data.get('InvoiceNumber') or data['InvoiceID']} from Xero could not be "
                           f"saved: {'; '.join(exc.errors.values())}", data)


def _forget_unlinked(tenant_id, invoice_ids):
    db.session.execute(delete(UnlinkedContactInvoice).where(
        UnlinkedContactInvoice.tenant_id == tenant_id, UnlinkedContactInvoice.invoice_id.in_(invoice_ids)))


def import_for_newly_linked_contacts(xero, tenant_id, run):
    """Bring in the invoices Xero raised (after the start) for contacts that have been linked since.

    They are read by id, a few dozen a call; a sync where no such contact was linked makes no call.
    """
    for chunk, invoices in newly_linked_invoices(xero, tenant_id):
        _apply_page(tenant_id, invoices, run)
        _forget_unlinked(tenant_id, chunk)
        db.session.commit()


def newly_linked_invoices(xero, tenant_id):
    """Yield ``(ids, usable invoices)`` for the Xero invoices raised for contacts linked since, by id."""
    ids = list(db.session.scalars(select(UnlinkedContactInvoice.invoice_id).join(ContactLink, (
        ContactLink.contact_id == UnlinkedContactInvoice.contact_id) & (ContactLink.tenant_id == tenant_id) & (
        ContactLink.archived_at.is_(None))).where(UnlinkedContactInvoice.tenant_id == tenant_id)))
    yield from invoices_by_id(xero, ids)


def invoices_by_id(xero, ids):
    """Yield ``(ids, usable invoices)`` for Xero invoices read by id, as many a call as the URL allows."""
    for chunk in url_sized(ids, "Invoices", lambda chunk: {"IDs": ",".join(chunk)}):
        yield chunk, [data for page in xero.pages("Invoices", "Invoices", {"IDs": ",".join(chunk)})
                      for data in page if check_invoice(data) is None]


def practice_values(tenant_id, data, with_reference):
    """A Xero invoice's date, due date, lines (and reference) as the practice holds them."""
    values = {"date": xero_date(data.get("Date")).date() if data.get("Date") else None,
              "lines": [line for line in (_practice_line(tenant_id, item, data.get("LineAmountTypes"))
                                          for item in data.get("LineItems") or []) if line]}
    if data.get("DueDate"):
        values["due_date"] = xero_date(data["DueDate"]).date()
    if with_reference:
        values["reference"] = data.get("Reference") or ""
    if values["date"] is None:
        del values["date"]
    if not values["lines"]:
        del values["lines"]  # summaries carry no lines: keep ours
    return values


def _practice_line(tenant_id, item, amount_types):
    """One Xero line as a tax-exclusive practice line with the same net amount and rate."""
    if not isinstance(item, dict):
        return None
    quantity = decimal_or_none(item.get("Quantity")) or Decimal(1)
    unit, line_amount = decimal_or_none(item.get("UnitAmount")), decimal_or_none(item.get("LineAmount"))
    tax = decimal_or_none(item.get("TaxAmount")) or Decimal(0)
    description = str(item.get("Description") or item.get("ItemCode") or "").strip()
    if unit is None and line_amount is None:
        return {"description": description, "quantity": "1", "unit_price": "0", "tax_rate": "0"} if description else None
    net = line_amount if line_amount is not None else quantity * unit
    if amount_types == "Inclusive":
        net -= tax
    rate = Decimal(0) if amount_types == "NoTax" else rate_of(tenant_id, item.get("TaxType"))
    if rate is None:
        rate = (tax * 100 / net).quantize(Decimal("0.0001")) if net else Decimal(0)
    unit_net = (net / quantity).quantize(CENT, rounding=ROUND_HALF_UP) if quantity else net
    if (unit_net * quantity).quantize(CENT, rounding=ROUND_HALF_UP) != net.quantize(CENT, rounding=ROUND_HALF_UP):
        # A discount or inclusive price the practice cannot show per unit: keep the amount exact.
        description = f"{description} ({quantity.normalize()} × {unit})" if unit is not None else description
        quantity, unit_net = Decimal(1), net
    return {"description": description or "Line from Xero", "quantity": str(quantity), "unit_price": str(unit_net),
            "tax_rate": str(rate)}


def import_invoice(tenant_id, client_id, data, run):
    """Bring a Xero sales invoice of a linked contact into the practice with its payments."""
    client = db.session.get(Client, client_id)
    status = "awaiting_payment" if data.get("Status") in APPROVED_IN_XERO else "draft"
    number = data.get("InvoiceNumber") or f"Xero {data['InvoiceID'][:8]}"
    invoice = services.create_invoice(client, practice_values(tenant_id, data, with_reference=True),
                                      source="xero", actor=history.SYNC_ACTOR, number=number, status=status)
    link = InvoiceLink(invoice=invoice, tenant_id=tenant_id, xero_invoice_id=data["InvoiceID"], xero_number=number,
                       xero_status=data.get("Status") or "DRAFT", origin="xero",
                       xero_updated_at=naive_utc(xero_date(data.get("UpdatedDateUTC"))))
    db.session.add(link)
    db.session.flush()
    history.record(run, "invoice", invoice.id, "xero_invoice", "", f"brought in from Xero as {number} ({invoice.total})", "xero")
    take_xero_payments(link, data, run)
    _check_totals(invoice, data, run)
    run.count("invoices_imported")


def take_xero_changes(link, data, run):
    """Apply Xero's news to a linked invoice (see ``invoice_plan.linked_news``)."""
    invoice = link.invoice
    waiting = waiting_entry("invoice", invoice.id)
    news = linked_news(link, invoice, data, waiting)
    if news.status != link.xero_status:
        history.record(run, "invoice", invoice.id, "xero_status", link.xero_status, news.status, "xero")
    link.xero_status = news.status
    link.xero_number = data.get("InvoiceNumber") or link.xero_number
    link.xero_updated_at = naive_utc(xero_date(data.get("UpdatedDateUTC")))
    if news.conflict:
        run.note_conflict(f"Invoice {invoice.number}", "the draft", f"edited {invoice.updated_at:%Y-%m-%d %H:%M:%S}",
                          f"edited {link.xero_updated_at:%Y-%m-%d %H:%M:%S}", news.conflict)
    if news.supersedes and news.conflict:
        done(waiting, note="Edited in Xero after this change was made; Xero's newer edit was kept.")
    elif news.supersedes:
        done(waiting, note="Approved in Xero before this change was sent; Xero's values were kept.")
        run.note_error(f"Invoice {invoice.number} was approved in Xero before the practice's change was sent; "
                       "Xero's values were kept.")
    changes = {}
    if news.takes_values:
        changes = services.update_invoice(invoice, practice_values(link.tenant_id, data, link.origin == "xero"),
                                          source="xero", actor=history.SYNC_ACTOR)
        history.record_changes(run, "invoice", invoice.id, changes, "xero")
    if news.approves:
        history.record(run, "invoice", invoice.id, "status", "draft", "awaiting_payment", "xero")
        services.set_invoice_status(invoice, "awaiting_payment", source="xero", actor=history.SYNC_ACTOR)
        run.count("invoices_approved")
    elif changes:
        run.count("invoices_updated")
    if news.takes_payments:
        take_xero_payments(link, data, run)
        if link.xero_status == "PAID" and invoice.status != "paid":
            run.note_error(f"Invoice {invoice.number} is paid in Xero but {invoice.amount_due} is still due here "
                           "(a credit note or a payment Xero holds and the practice cannot show).")


def take_xero_payments(link, data, run):
    """Record each Xero payment of the invoice once in the practice (see ``invoice_plan.payment_decisions``)."""
    invoice = link.invoice
    for decision in payment_decisions(invoice.number, data.get("Payments"), known_payment_ids(link.tenant_id, data),
                                      sent_payments(invoice), invoice.status, invoice.amount_due, payment_day):
        if decision.action == "match":
            db.session.add(PaymentLink(payment_id=decision.ours.id, tenant_id=link.tenant_id,
                                       xero_payment_id=decision.payment_id))
            run.count("payments_recovered")
        elif decision.action == "refuse":
            run.note_error(decision.message)
        else:
            payment = services.record_payment(invoice, {"amount": decision.amount, "date": decision.day,
                                                        "reference": decision.reference}, source="xero",
                                              actor=history.SYNC_ACTOR)
            db.session.add(PaymentLink(payment_id=payment.id, tenant_id=link.tenant_id,
                                       xero_payment_id=decision.payment_id, origin="xero"))
            history.record(run, "invoice", invoice.id, "payment", "",
                           history.payment_text(decision.amount, decision.day, payment.reference), "xero")
            run.count("payments_pulled")
    db.session.flush()


def known_payment_ids(tenant_id, data):
    """The PaymentIDs of a Xero invoice's payments that are linked to a practice payment already."""
    ids = [p.get("PaymentID") for p in data.get("Payments") or [] if isinstance(p, dict) and p.get("PaymentID")]
    return set(db.session.scalars(select(PaymentLink.xero_payment_id).where(
        PaymentLink.tenant_id == tenant_id, PaymentLink.xero_payment_id.in_(ids)))) if ids else set()


def sent_payments(invoice):
    """The invoice's practice payments sent to Xero in a batch that never got its answer."""
    return [payment for payment in invoice.payments
            if (entry := waiting_entry("payment", payment.id)) is not None and entry.batch_id is not None
            and not payment_linked(payment.id)]


def payment_day(value):
    """A payment's date as Xero gives it, as a date (None when it has none)."""
    return xero_date(value).date() if value else None


def payment_linked(payment_id):
    """Whether a practice payment is linked to a Xero payment."""
    return db.session.scalar(select(PaymentLink.id).where(PaymentLink.payment_id == payment_id)) is not None


def _check_totals(invoice, data, run):
    total = decimal_or_none(data.get("Total"))
    if total is not None and total.quantize(CENT) != invoice.total:
        run.note_error(f"Invoice {invoice.number}: Xero's total is {total.quantize(CENT)}, the practice works out "
                       f"{invoice.total} from the same lines (rounding of an inclusive or discounted line).")


def our_unanswered_invoice(data):
    """The practice invoice a Xero invoice is, when one of our create batches made it but its
    answer was lost (found by Reference), or None."""
    reference = data.get("Reference")
    if not reference:
        return None
    invoice = db.session.scalar(select(Invoice).join(OutboxEntry, OutboxEntry.object_id == Invoice.id).where(
        in_flight("invoice"), Invoice.number == reference))
    if invoice is None or InvoiceLink.for_invoice(invoice.id) is not None:
        return None
    return invoice


# -- pushing practice invoices --------------------------------------------------------------------


class _Lines:
    """Turns practice lines into Xero lines, reading the tax rates again at most once per sync."""

    def __init__(self, xero, tenant_id):
        self.xero, self.tenant_id = xero, tenant_id
        self.settings = integration_settings()
        self.refreshed = False

    def body(self, invoice):
        """Xero's LineItems for an invoice; raises ValueError with a message for the user."""
        return [{"Description": line.description, "Quantity": float(line.quantity), "UnitAmount": float(line.unit_price),
                 "AccountCode": self.settings.sales_account_code, "TaxType": self.tax_type(line.tax_rate)}
                for line in invoice.lines]

    def tax_type(self, rate):
        found = tax_type_for(self.tenant_id, rate, self.settings.default_tax_type)
        if found is None and not self.refreshed:
            self.refreshed = True
            db.session.commit()  # the outbox decisions made so far are kept before Xero is read
            store_tax_rates(self.tenant_id, self.xero.get("TaxRates").get("TaxRates") or [])
            found = tax_type_for(self.tenant_id, rate, self.settings.default_tax_type)
        if found is None:
            raise ValueError(f"Xero has no sales tax rate of {rate.normalize()}%: add one in Xero "
                             "(Settings > Tax rates) or change the line's tax rate.")
        return found


def push_invoices(xero, tenant_id, run):
    """Send waiting practice invoices to Xero: new ones as drafts, edits to drafts still open there."""
    lines = _Lines(xero, tenant_id)
    creates, updates = [], []
    for entry in db.session.scalars(select(OutboxEntry).where(unsent("invoice")).order_by(OutboxEntry.id)).all():
        invoice = db.session.get(Invoice, entry.object_id)
        link = InvoiceLink.for_invoice(entry.object_id)
        action = invoice_outbound(invoice, link, client_linked(invoice, link))
        if action == "done":
            done(entry)
        elif action in ("create", "update"):
            try:
                body = _invoice_body(invoice, link, lines)
            except ValueError as exc:
                refuse(entry, str(exc))
                run.note_error(f"Invoice {invoice.number} was not sent to Xero: {exc}")
                continue
            entry.detail = {"version": invoice.version}
            (updates if action == "update" else creates).append((entry, body))
    db.session.commit()
    for start in range(0, len(creates), BATCH_SIZE):
        run.advance(start, len(creates), "invoices sent to Xero", 85, 88)  # saved with the batch
        batches.send(xero, batches.save(tenant_id, NEW_INVOICES, creates[start:start + BATCH_SIZE]), NEW_INVOICES, run)
    for start in range(0, len(updates), BATCH_SIZE):
        _update_batch(xero, updates[start:start + BATCH_SIZE], run)
    renumber_synced_invoices(tenant_id, run)


def client_linked(invoice, link):
    """Whether an invoice not in Xero yet has a client linked to a Xero contact."""
    return invoice is not None and link is None and ContactLink.live_for(invoice.client_id) is not None


def _invoice_body(invoice, link, lines):
    body = {"Date": invoice.date.isoformat(), "DueDate": invoice.due_date.isoformat(),
            "LineAmountTypes": "Exclusive", "LineItems": lines.body(invoice)}
    if link is not None:
        return {"InvoiceID": link.xero_invoice_id, **body}
    contact = ContactLink.live_for(invoice.client_id)
    return {"Type": "ACCREC", "Status": "DRAFT", "Contact": {"ContactID": contact.contact_id},
            "Reference": invoice.number, **body}


def _take_answers(model, id_field, created, check, batch, answers, run):
    """A RecordKind's take_answers, bound to a model with ``partial``: ``created(tenant_id, entry,
    record, element, run)`` for each record Xero made; a refused record waits for the user, a
    deleted one needs nothing more.

    An answer is checked before it is believed: one without ``id_field`` is not taken, and
    ``check(record, element)`` names what Xero saved differently from what was sent (the record
    is linked, as it is in Xero, and waits for the user)."""
    for entry, element in answers:
        record = db.session.get(model, entry.object_id)
        if record is None:
            done(entry)
        elif batches.refused(element):
            _needs_attention(entry, record, batches.messages(element), run)
        elif not element.get(id_field):
            _needs_attention(entry, record, f"Xero's answer carried no {id_field}, so it was not taken.", run)
        else:
            created(batch.tenant_id, entry, record, element, run)
            problem = check(record, element)
            if problem:
                _needs_attention(entry, record, problem, run)


def _sum_differs(field, attribute, record, element):
    """An answer check, bound with ``partial``: Xero's ``field`` must be the record's ``attribute``
    (a sum) to the cent."""
    theirs, ours = decimal_or_none(element.get(field)), getattr(record, attribute)
    if theirs is not None and theirs.quantize(CENT) == ours:
        return None
    return (f"Xero saved it with {'no ' + field if theirs is None else f'a {field} of {theirs.quantize(CENT)}'} "
            f"where the practice has {ours}; check it in Xero.")


def _invoice_created(tenant_id, entry, invoice, element, run):
    if InvoiceLink.for_invoice(invoice.id) is None:
        edited_meanwhile = invoice.version != (entry.detail or {}).get("version")
        _link_created(tenant_id, invoice, element)
        history.record(run, "invoice", invoice.id, "xero_invoice", "",
                       f"added to Xero as {element.get('InvoiceNumber') or 'a draft'}", "practice")
        (release if edited_meanwhile else done)(entry)  # an edit made while sending goes as an update
        run.count("invoices_created")


def _link_created(tenant_id, invoice, data):
    link = InvoiceLink(invoice=invoice, tenant_id=tenant_id, xero_invoice_id=data["InvoiceID"],
                       xero_number=data.get("InvoiceNumber") or "", xero_status=data.get("Status") or "DRAFT",
                       practice_number=invoice.number, origin="practice",
                       xero_updated_at=naive_utc(xero_date(data.get("UpdatedDateUTC"))))
    db.session.add(link)
    entry = waiting_entry("invoice", invoice.id)
    if entry is not None:
        done(entry)
    db.session.flush()
    return link


def _update_batch(xero, items, run):
    entries = [entry for entry, _body in items]
    for entry, element in zip(entries, batches.send_updates(xero, "Invoices", [body for _entry, body in items])):
        invoice = db.session.get(Invoice, entry.object_id)
        if batches.refused(element):
            _needs_attention(entry, invoice, batches.messages(element), run)
            continue
        link = InvoiceLink.for_invoice(invoice.id)
        link.xero_status = element.get("Status") or link.xero_status
        link.xero_updated_at = naive_utc(xero_date(element.get("UpdatedDateUTC")))
        history.record(run, "invoice", invoice.id, "xero_draft", "", "updated to " + history.lines_summary(
            services.line_dicts(invoice)) + f", dated {invoice.date}, due {invoice.due_date}", "practice")
        (release if invoice.version != entry.detail.get("version") else done)(entry)
        run.count("invoices_updated_in_xero")
    db.session.commit()


def renumber_synced_invoices(tenant_id, run):
    """Give practice-raised invoices that reached Xero their Xero invoice number."""
    rows = db.session.execute(select(Invoice, InvoiceLink).join(InvoiceLink, InvoiceLink.invoice_id == Invoice.id).where(
        InvoiceLink.tenant_id == tenant_id, InvoiceLink.xero_number != "", Invoice.number != InvoiceLink.xero_number,
    )).all()
    for invoice, link in rows:
        try:
            with db.session.begin_nested():
                history.record_changes(run, "invoice", invoice.id, services.update_invoice(
                    invoice, {"number": link.xero_number}, source="xero", actor=history.SYNC_ACTOR), "xero")
        except services.ValidationError as exc:
            run.note_error(f"Invoice {invoice.number} keeps its practice number: {'; '.join(exc.errors.values())}")
    db.session.commit()


def _needs_attention(entry, record, message, run):
    refuse(entry, message)
    what = f"invoice {record.number}" if isinstance(record, Invoice) else f"a payment on invoice {record.invoice.number}"
    run.note_error(f"Xero refused {what}: {message}")


# -- pushing practice payments --------------------------------------------------------------------


def payment_waits_because(payment):
    """Why a practice payment has not gone to Xero yet (a sentence), or None if it can go."""
    action, sentence = payment_outbound(InvoiceLink.for_invoice(payment.invoice_id))
    return sentence if action == "wait" else None


def push_payments(xero, tenant_id, run):
    """Create practice payments in Xero, into the Default Bank, once their invoice is approved there."""
    settings = integration_settings()
    ready = []
    for entry in db.session.scalars(select(OutboxEntry).where(unsent("payment")).order_by(OutboxEntry.id)).all():
        payment = db.session.get(Payment, entry.object_id)
        if payment is None or payment_linked(payment.id):
            done(entry)
            continue
        link = InvoiceLink.for_invoice(payment.invoice_id)
        action, sentence = payment_outbound(link)
        if action == "refuse":
            _needs_attention(entry, payment, sentence, run)
        elif action == "send":
            ready.append((entry, {"Invoice": {"InvoiceID": link.xero_invoice_id},
                                  "Account": {"AccountID": settings.default_bank_account_id},
                                  "Date": payment.date.isoformat(), "Amount": float(payment.amount),
                                  "Reference": payment.reference}))
    db.session.commit()
    for start in range(0, len(ready), BATCH_SIZE):
        batches.send(xero, batches.save(tenant_id, NEW_PAYMENTS, ready[start:start + BATCH_SIZE]), NEW_PAYMENTS, run)


def _payment_created(tenant_id, entry, payment, element, run):
    if not payment_linked(payment.id):
        db.session.add(PaymentLink(payment_id=payment.id, tenant_id=tenant_id, xero_payment_id=element["PaymentID"]))
    link = InvoiceLink.for_invoice(payment.invoice_id)
    link.xero_status = (element.get("Invoice") or {}).get("Status") or link.xero_status
    history.record(run, "invoice", payment.invoice_id, "payment", "",
                   history.payment_text(payment.amount, payment.date, payment.reference), "practice")
    done(entry)
    run.count("payments_pushed")


def _read_back_invoices(xero, batch, run):
    """Read the batch's invoices from Xero by Reference (the practice number); the page links ours."""
    def params(references):
        return {"where": f"{SALES_INVOICES} AND ({any_of('Reference', references)})"}

    references = [body["Reference"] for body in batch.body if body.get("Reference")]
    for chunk in url_sized(references, "Invoices", params):
        for page in xero.pages("Invoices", "Invoices", params(chunk)):
            _apply_page(batch.tenant_id, [data for data in page if check_invoice(data) is None], run)
            db.session.commit()


def _read_back_payments(xero, batch, run):
    """Read the invoices the batch paid; their payments are matched to ours by amount and date."""
    for _ids, invoices in invoices_by_id(xero, sorted({body["Invoice"]["InvoiceID"] for body in batch.body})):
        _apply_page(batch.tenant_id, invoices, run)
        db.session.commit()


# The pull (or a read-back) links what an interrupted batch made (invoices by Reference, payments
# by amount and date), so a record arrived when it has its link. Bound with partial, not built by
# a factory's closure, so that each call runs the module's functions as they are then (a closure
# made at import keeps the code of then: mutation testing could not reach it).
NEW_INVOICES = batches.RecordKind("invoice-create", "Invoices",
                                  take_answers=partial(_take_answers, Invoice, "InvoiceID", _invoice_created,
                                                       partial(_sum_differs, "Total", "total")),
                                  arrived=lambda batch: {invoice_id: True for invoice_id in batch.object_ids
                                                         if InvoiceLink.for_invoice(invoice_id) is not None},
                                  read_back=_read_back_invoices)
NEW_PAYMENTS = batches.RecordKind("payment-create", "Payments",
                                  take_answers=partial(_take_answers, Payment, "PaymentID", _payment_created,
                                                       partial(_sum_differs, "Amount", "amount")),
                                  arrived=lambda batch: {payment_id: True for payment_id in batch.object_ids
                                                         if payment_linked(payment_id)},
                                  read_back=_read_back_payments)


# -- what the invoice page shows ------------------------------------------------------------------


def sync_invoices(xero, connection, run):
    """The invoice part of a sync: pull (always, for customers), then push invoices and payments,
    then move the watermark past what was pushed if nothing else changed."""
    run.phase("Fetching invoices from Xero", 80)
    pull = pull_invoices(xero, connection, run)
    if sync_start(connection.tenant_id) is not None:
        import_for_newly_linked_contacts(xero, connection.tenant_id, run)
        run.phase("Sending invoices to Xero", 85)
        push_invoices(xero, connection.tenant_id, run)
        run.phase("Sending payments to Xero", 88)
        push_payments(xero, connection.tenant_id, run)
    skip_own_writes(connection, pull)


def retry_refused_invoices():
    """Put invoices Xero refused back in the queue (after a setting they may depend on changed)."""
    retry_all_refused(("invoice", "payment"))


def retry_invoice(invoice):
    """Put one invoice (and its payments) that Xero refused back in the queue."""
    ids = {("invoice", invoice.id)} | {("payment", payment.id) for payment in invoice.payments}
    for kind, object_id in ids:
        retry_refused(waiting_entry(kind, object_id))
