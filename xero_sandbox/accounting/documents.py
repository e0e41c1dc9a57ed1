"""Invoices and credit notes: numbering, status transitions, contacts and arithmetic."""
import uuid
from dataclasses import dataclass
from datetime import timedelta

from ..formats import day_string, ms_of, net_date, parse_day, public, utc_string
from ..query import Field, json_field
from . import contacts, settings
from .arithmetic import Pricing, price
from .http import Invalid
from .listing import UPDATED, field_resolver

TRANSITIONS = {
    None: {"DRAFT", "SUBMITTED", "AUTHORISED"},
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
    "PAID": {"PAID"},
    "VOIDED": {"VOIDED"},
    "DELETED": {"DELETED"},
}
LOCKED_WITH_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
COPIED_FIELDS = ("Reference", "Url", "SentToContact", "ExpectedPaymentDate", "BrandingThemeID")
MAX_LENGTHS = {"InvoiceNumber": 255, "CreditNoteNumber": 255, "Reference": 255}


@dataclass(frozen=True)
class DocumentKind:
    """What differs between invoices and credit notes."""

    kind: str
    key: str
    id_field: str
    number_field: str
    types: tuple
    numbered_type: str
    prefix: str
    sequence: str
    webhook: str = None

    @property
    def fields(self):
        return field_resolver({
            self.id_field: Field("id", "id"), "UpdatedDateUTC": UPDATED,
            "Date": json_field("_date", "date"), "DueDate": json_field("_due", "date"),
        })


INVOICE = DocumentKind("invoice", "Invoices", "InvoiceID", "InvoiceNumber", ("ACCREC", "ACCPAY"),
                       "ACCREC", "INV-", "_invoice_sequence", webhook="INVOICE")
CREDIT_NOTE = DocumentKind("creditnote", "CreditNotes", "CreditNoteID", "CreditNoteNumber",
                           ("ACCRECCREDIT", "ACCPAYCREDIT"), "ACCRECCREDIT", "CN-",
                           "_credit_note_sequence")


def find(store, tenant, spec, key):
    """A document by id or by number, or None."""
    found = (store.select(spec.kind, tenant, "id = ?", (key.lower(),), limit=1)
             or store.select(spec.kind, tenant, f"json_extract(data, '$.{spec.number_field}') = ?",
                             (key,), limit=1))
    return found[0] if found else None


def number_taken(store, tenant, spec, number, except_id=""):
    """True if another live document of the numbered type already uses this number."""
    return store.count(spec.kind, tenant,
                       f"json_extract(data, '$.{spec.number_field}') = ? COLLATE NOCASE AND "
                       "json_extract(data, '$.Type') = ? AND "
                       "json_extract(data, '$.Status') != 'DELETED' AND id != ?",
                       (number, spec.numbered_type, except_id)) > 0


def _contact_for(sandbox, tenant, reference):
    """The contact a document names by ContactID, ContactNumber or Name (new names are created)."""
    reference = reference or {}
    key = reference.get("ContactID") or reference.get("ContactNumber")
    if key:
        found = contacts.find(sandbox.store, tenant, key)
        if found is None:
            raise Invalid("The contact with the specified ContactID could not be found.")
        return found
    name = (reference.get("Name") or "").strip()
    if not name:
        raise Invalid("The Contact must contain at least 1 of the following elements to identify "
                      "the contact: Name, ContactID, ContactNumber")
    found = sandbox.store.select(contacts.KIND, tenant, "json_extract(data, '$.Name') = ? "
                                 "COLLATE NOCASE AND json_extract(data, '$.ContactStatus') = 'ACTIVE'",
                                 (name,), limit=1)
    return found[0] if found else contacts.save(sandbox, tenant, {"Name": name})


def _set_date(document, item, field, short):
    if item.get(field) is None:
        return
    try:
        day = parse_day(item[field])
    except ValueError:
        raise Invalid(f"{field} '{item[field]}' is not a valid date.") from None
    document.update({field: net_date(ms_of(day)), f"{field}String": day_string(day),
                     short: day.isoformat()})


def _blank(spec, tenant_org, now):
    today = now.date()
    return {spec.id_field: str(uuid.uuid4()), "Status": "DRAFT", "LineAmountTypes": "Exclusive",
            "LineItems": [], "CurrencyCode": tenant_org["BaseCurrency"], "CurrencyRate": 1.0,
            "Date": net_date(ms_of(today)), "DateString": day_string(today), "_date": today.isoformat(),
            "SubTotal": 0.0, "TotalTax": 0.0, "Total": 0.0, "AmountDue": 0.0, "AmountPaid": 0.0,
            "AmountCredited": 0.0, "Payments": [], "HasAttachments": False, "HasErrors": False,
            "IsDiscounted": False, "SentToContact": False}


def _check_status(existing, document):
    before = existing["Status"] if existing else None
    after = document["Status"]
    if after not in TRANSITIONS.get(before, ()):
        if before is None:
            raise Invalid(f"A document cannot be created with a status of {after}.")
        if before == "PAID" or (after == "VOIDED" and document["AmountPaid"]):
            raise Invalid(LOCKED_WITH_PAYMENTS)
        raise Invalid(f"Invoice not of valid status for modification. Status '{before}' "
                      f"cannot become '{after}'.")
    if after in ("SUBMITTED", "AUTHORISED") and not document["LineItems"]:
        raise Invalid("A document must have at least one line item to be approved.")
    if after in ("SUBMITTED", "AUTHORISED") and document["Total"] < 0:
        raise Invalid("The total of an approved document cannot be negative: raise a credit note "
                      "for the difference.")


def _check_text(item):
    for field, limit in MAX_LENGTHS.items():
        if len(item.get(field) or "") > limit:
            raise Invalid(f"The {field} field must be {limit} characters or less.")


def _check_currency(item, org):
    code = item.get("CurrencyCode")
    if code is not None and code != org["BaseCurrency"]:
        raise Invalid(f"The currency '{code}' has not been added to this organisation. Add it in "
                      "Settings > Currencies, or use the base currency "
                      f"{org['BaseCurrency']}.")


def save(sandbox, tenant, spec, item, client_id, document_id=None, unit_places=2):
    """Create or update one invoice or credit note; raise Invalid with Xero's messages.

    ``unit_places`` is 4 for a request sent with ``unitdp=4``.
    """
    store, now = sandbox.store, sandbox.clock.now()
    org = settings.organisation(store, tenant)
    document_id = (document_id or item.get(spec.id_field) or "").lower()
    existing = find(store, tenant, spec, document_id) if document_id else None
    if document_id and existing is None:
        raise Invalid("The document with the supplied id was not found for this endpoint.")
    if existing and existing["Status"] in ("VOIDED", "DELETED"):
        raise Invalid(f"This document cannot be edited as it is {existing['Status'].lower()}.")
    _check_text(item)
    _check_currency(item, org)
    document = dict(existing) if existing else {**_blank(spec, org, now), "_app": client_id}
    if "Type" in item or not existing:
        if item.get("Type") not in spec.types:
            raise Invalid(f"Type must be one of {', '.join(spec.types)}.")
        document["Type"] = item["Type"]
    if "Contact" in item or not existing:
        contact = _contact_for(sandbox, tenant, item.get("Contact"))
        if contact["ContactStatus"] != "ACTIVE":
            raise Invalid(f"The contact '{contact['Name']}' is archived. Transactions cannot be "
                          "created for archived contacts.")
        document["Contact"] = {"ContactID": contact["ContactID"], "Name": contact["Name"]}
    _set_date(document, item, "Date", "_date")
    _set_date(document, item, "DueDate", "_due")
    for field in COPIED_FIELDS:
        if item.get(field) is not None:
            document[field] = item[field]
    repriced = "LineItems" in item or "LineAmountTypes" in item
    if repriced and existing and existing["AmountPaid"]:
        raise Invalid(LOCKED_WITH_PAYMENTS)
    document["LineAmountTypes"] = item.get("LineAmountTypes") or document["LineAmountTypes"]
    lines = item.get("LineItems") if item.get("LineItems") is not None else document["LineItems"]
    pricing = Pricing(settings.tax_rates(store, tenant), settings.accounts_by_code(store, tenant),
                      org["_sales_tax_type"], unit_places,
                      sandbox.variants["unit_rounding"] == "unit")
    priced, subtotal, tax, total = price(lines, document["LineAmountTypes"], pricing)
    for line in priced:
        line.setdefault("LineItemID", str(uuid.uuid4()))
    document.update(LineItems=priced, SubTotal=float(subtotal), TotalTax=float(tax),
                    Total=float(total))
    document["AmountDue"] = round(document["Total"] - document["AmountPaid"]
                                  - document["AmountCredited"], 2)
    document["Status"] = (item.get("Status") or document["Status"]).upper()
    _check_status(existing, document)
    _assign_number(store, tenant, spec, document, item)
    if document["Status"] == "AUTHORISED" and "_due" not in document:
        due = now.date() + timedelta(days=org.get("_payment_days", 30))
        _set_date(document, {"DueDate": due.isoformat()}, "DueDate", "_due")
    if document != existing:
        write(sandbox, tenant, spec, document, created=existing is None)
    return document


def _assign_number(store, tenant, spec, document, item):
    number = item.get(spec.number_field)
    if number is not None:
        number = number.strip()
        if document["Type"] == spec.numbered_type and number_taken(
                store, tenant, spec, number, document[spec.id_field]):
            raise Invalid(f"{'Invoice' if spec is INVOICE else 'Credit Note'} # must be unique.")
        document[spec.number_field] = number
    elif not document.get(spec.number_field) and document["Type"] == spec.numbered_type:
        document[spec.number_field] = settings.next_number(
            store, tenant, spec.sequence, spec.prefix,
            lambda candidate: number_taken(store, tenant, spec, candidate))


def write(sandbox, tenant, spec, document, created):
    """Store a document, stamp UpdatedDateUTC and tell webhooks and the contact's roles."""
    now = sandbox.clock.now_ms()
    document.update(UpdatedDateUTC=net_date(now), UpdatedDateUTCString=utc_string(now))
    sandbox.store.put(spec.kind, document[spec.id_field], document, tenant, now)
    if spec is INVOICE and document["Status"] not in ("DELETED", "VOIDED"):
        role = "IsCustomer" if document["Type"] == "ACCREC" else "IsSupplier"
        contacts.mark_role(sandbox, tenant, document["Contact"]["ContactID"], role)
    if spec.webhook:
        sandbox.webhooks.publish(tenant, spec.webhook, "CREATE" if created else "UPDATE",
                                 document[spec.id_field])


def present(documents, with_lines=True):
    """Documents as the API returns them (unpaged lists and summaries omit line items)."""
    shown = [public(document) for document in documents]
    if not with_lines:
        for document in shown:
            document.pop("LineItems", None)
    return shown
