"""What a sync does with invoices and payments, decided by pure functions.

The sync applies these decisions and Preview sync describes them, so the two cannot disagree.
Each function reads only its arguments: the callers look up links, outbox entries and
invoices, and pass them in.
"""
from dataclasses import dataclass
from decimal import Decimal

from bm.models import Invoice

from ..api import xero_date
from ..models import APPROVED_IN_XERO, DRAFT_IN_XERO, GONE_IN_XERO
from .contacts import naive_utc
from .tax_rates import decimal_or_none


# -- Xero's invoices coming in --------------------------------------------------------------------


def inbound_action(data, link, ours, in_baseline, client_id):
    """What the sync does with one Xero sales invoice, as one of these words:

    "update" (linked: take Xero's news), "recognise" (``ours``, sent in a batch whose answer
    was lost: link it), "skip" (in the baseline), "forget" (voided or deleted before anyone
    linked it), "import" (raised in Xero for a linked contact, ``client_id``), "remember"
    (for a contact not linked yet: brought in once it is).
    """
    if link is not None:
        return "update"
    if ours is not None:
        return "recognise"
    if in_baseline:
        return "skip"
    if data.get("Status") in GONE_IN_XERO:
        return "forget"
    return "import" if client_id is not None else "remember"


@dataclass(frozen=True)
class LinkedNews:
    """What Xero's news does to a linked invoice.

    ``status`` is Xero's status after it; ``takes_values``: Xero's date, due date and lines
    replace the practice's; ``approves``: the draft here becomes awaiting payment;
    ``supersedes``: a practice change not sent yet is dropped, Xero having approved first or
    edited the draft later; ``takes_payments``: Xero's payments are recorded here;
    ``conflict``: the side whose edit wins when both edited the draft ("Xero" or "practice").
    """

    status: str
    takes_values: bool = False
    approves: bool = False
    supersedes: bool = False
    takes_payments: bool = False
    conflict: str | None = None


def linked_news(link, invoice, data, waiting):
    """Decide what Xero's copy ``data`` does to a linked invoice.

    Nothing is voided or deleted because of the other side; once Xero has approved an invoice
    its values win; a draft edited only in Xero takes the edit. A draft edited on both sides
    goes to the newer edit: Xero's UpdatedDateUTC against the practice's last change of the
    invoice, the practice winning a tie (as contacts do, ``contacts.plan_pair``).
    :param waiting: the invoice's open outbox entry, or None.
    """
    status = data.get("Status") or link.xero_status
    if status in GONE_IN_XERO or invoice.status == "void":
        return LinkedNews(status)
    unsent = waiting is not None and waiting.batch_id is None
    if status in APPROVED_IN_XERO:
        return LinkedNews(status, takes_values=True, approves=invoice.status == "draft", supersedes=unsent,
                          takes_payments=True)
    draft = invoice.status == "draft"
    if not unsent:
        return LinkedNews(status, takes_values=draft and waiting is None)
    xero_updated = naive_utc(xero_date(data.get("UpdatedDateUTC")))
    if xero_updated is None or (link.xero_updated_at is not None and xero_updated <= link.xero_updated_at):
        return LinkedNews(status)  # Xero's draft is as the last sync left it: only the practice edited it
    if xero_updated > invoice.updated_at:
        return LinkedNews(status, takes_values=draft, supersedes=True, conflict="Xero")
    return LinkedNews(status, conflict="practice")


@dataclass(frozen=True)
class PaymentDecision:
    """What the sync does with one Xero payment of a linked invoice.

    ``action`` is "record" (a new payment here), "match" (``ours``, a practice payment sent in a
    batch whose answer was lost: link it) or "refuse" (``message`` says why).
    """

    action: str
    payment_id: str
    amount: Decimal | None
    day: object
    reference: str
    ours: object = None
    message: str = ""


def payment_decisions(number, payments, known_ids, sent, status, amount_due, day_of):
    """Decide each Xero payment of an invoice in turn, as recording the earlier ones would leave it.

    :param number: the invoice's number, for the messages.
    :param payments: Xero's ``Payments`` summaries of the invoice.
    :param known_ids: the Xero PaymentIDs already linked to a practice payment.
    :param sent: practice payments of the invoice sent to Xero in a batch whose answer was lost.
    :param status: the invoice's status here; ``amount_due``: what is due on it.
    :param day_of: reads a payment's ``Date``.
    """
    known, unmatched, decisions = set(known_ids), list(sent), []
    for summary in payments or []:
        payment_id = summary.get("PaymentID") if isinstance(summary, dict) else None
        if not payment_id or payment_id in known:
            continue
        known.add(payment_id)
        amount, day = decimal_or_none(summary.get("Amount")), day_of(summary.get("Date"))
        reference = summary.get("Reference") or ""
        ours = next((p for p in unmatched if p.amount == amount and p.date == day), None)
        if ours is not None:
            unmatched.remove(ours)
            decisions.append(PaymentDecision("match", payment_id, amount, day, reference, ours=ours))
        elif amount is None or amount <= 0 or status != "awaiting_payment" or amount > amount_due:
            decisions.append(PaymentDecision("refuse", payment_id, amount, day, reference,
                                             message=_refusal(number, amount, day, reference, status, amount_due)))
        else:
            decisions.append(PaymentDecision("record", payment_id, amount, day, reference))
            amount_due -= amount
            status = "paid" if amount_due <= 0 else status
    return decisions


def _refusal(number, amount, day, reference, status, amount_due):
    """Why a Xero payment of invoice ``number`` is not recorded here, in words."""
    if amount is None or amount <= 0:
        what = "without an amount" if amount is None else f"with an amount of {amount}"
        dated = f" dated {day:%d %b %Y}" if day else ""
        named = f" (reference {reference})" if reference else ""
        return (f"A payment in Xero on invoice {number}{dated}{named} could not be recorded here: Xero sent it "
                f"{what}. Check the payment on the invoice in Xero; it is read again when the invoice changes there.")
    return (f"A payment of {amount} in Xero on invoice {number} could not be recorded here: the invoice here is "
            f"{Invoice.STATUS_LABELS[status].lower()} with {amount_due} due.")


# -- practice invoices and payments going out -----------------------------------------------------


def invoice_outbound(invoice, link, client_linked):
    """What the sync does with a practice invoice waiting in the outbox.

    "done" (deleted, voided before it reached Xero, or no longer a draft in Xero: nothing to
    send), "create" (a new Xero draft), "update" (the Xero draft) or "wait" (its client is
    not linked yet).
    """
    if invoice is None or (link is None and invoice.status == "void"):
        return "done"
    if link is not None:
        return "update" if link.xero_status in DRAFT_IN_XERO else "done"
    return "create" if client_linked else "wait"


def payment_outbound(link):
    """What the sync does with a practice payment not yet in Xero, given its invoice's link.

    :return: ``(action, sentence)``: "wait" until the invoice is in Xero and approved there,
        "refuse" when Xero would not take it, else "send".
    """
    if link is None:
        return "wait", "The invoice is not in Xero yet; the payment follows it."
    if link.xero_status in DRAFT_IN_XERO:
        return "wait", "Waiting for the invoice to be approved in Xero; the payment is sent on the first sync after that."
    if link.xero_status in GONE_IN_XERO:
        return "refuse", f"The invoice is {link.xero_status.lower()} in Xero, so this payment was not sent."
    if link.xero_status == "PAID":
        return "refuse", "Xero shows this invoice as fully paid already, so this payment was not sent."
    return "send", ""
