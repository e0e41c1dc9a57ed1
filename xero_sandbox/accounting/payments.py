"""Payments: only against AUTHORISED invoices, into accounts that take payments, never over."""
import uuid

from ..formats import decimal, money, ms_of, net_date, parse_day, public, utc_string
from ..query import Field, json_field
from . import documents
from .http import Invalid
from .listing import UPDATED, field_resolver

KIND = "payment"
FIELDS = field_resolver({"PaymentID": Field("id", "id"), "UpdatedDateUTC": UPDATED,
                         "Date": json_field("_date", "date"),
                         "Invoice.InvoiceID": json_field("_invoice", "id")})
OVERPAYMENT = "Payment amount exceeds the amount outstanding on this document"


def _invoice_for(store, tenant, item):
    reference = item.get("Invoice") or {}
    key = reference.get("InvoiceID") or reference.get("InvoiceNumber") or item.get("InvoiceNumber")
    invoice = documents.find(store, tenant, documents.INVOICE, key) if key else None
    if invoice is None:
        raise Invalid("The document with the supplied id was not found for this endpoint.")
    if invoice["Status"] != "AUTHORISED":
        raise Invalid("Payments can only be made against Authorised documents.")
    return invoice


def _account_for(store, tenant, item):
    reference = item.get("Account") or {}
    accounts = store.select("account", tenant)
    wanted_id, wanted_code = (reference.get("AccountID") or "").lower(), (
        reference.get("Code") or item.get("Code"))
    for account in accounts:
        if (wanted_id and account["AccountID"] == wanted_id) or (
                wanted_code and account["Code"] == wanted_code):
            if account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
                raise Invalid(f"Payments cannot be made to account {account['Code']}. Choose a bank "
                              "account or an account with payments enabled.")
            return account
    raise Invalid("Account could not be found. Supply a valid AccountID or Code.")


def create(sandbox, tenant, item):
    """Record one payment and update the invoice's AmountPaid, AmountDue and Status."""
    store, now = sandbox.store, sandbox.clock.now()
    with store.transaction():
        invoice = _invoice_for(store, tenant, item)
        account = _account_for(store, tenant, item)
        try:
            amount = decimal(item.get("Amount"))
            day = parse_day(item["Date"]) if item.get("Date") else now.date()
        except ValueError:
            raise Invalid("Payment amount and Date must be valid.") from None
        amount = money(amount) if amount is not None else None
        if amount is None or amount <= 0:  # 0.001 rounds to nothing: refused, not recorded as 0.00
            raise Invalid("Payment amount must be greater than zero.")
        if amount > money(invoice["AmountDue"]):
            raise Invalid(OVERPAYMENT)
        stamp = sandbox.clock.now_ms()
        payment = {
            "PaymentID": str(uuid.uuid4()), "Date": net_date(ms_of(day)), "_date": day.isoformat(),
            "Amount": float(amount), "BankAmount": float(amount), "CurrencyRate": 1.0,
            "Reference": item.get("Reference") or "", "IsReconciled": bool(item.get("IsReconciled")),
            "Status": "AUTHORISED",
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "UpdatedDateUTC": net_date(stamp), "UpdatedDateUTCString": utc_string(stamp),
            "HasAccount": True, "HasValidationErrors": False,
            "Account": {"AccountID": account["AccountID"], "Code": account["Code"],
                        "Name": account["Name"]},
            "_invoice": invoice["InvoiceID"],
        }
        store.put(KIND, payment["PaymentID"], payment, tenant, stamp)
        invoice["Payments"] = invoice["Payments"] + [_summary(payment)]
        _apply(sandbox, tenant, invoice, amount, day)
        return payment


def delete(sandbox, tenant, payment_id):
    """Delete a payment (Status DELETED): the invoice is owed the amount again."""
    store = sandbox.store
    with store.transaction():
        payment = find(store, tenant, payment_id)
        if payment is None:
            raise Invalid("The document with the supplied id was not found for this endpoint.")
        if payment["Status"] == "DELETED":
            return payment
        stamp = sandbox.clock.now_ms()
        payment.update(Status="DELETED", UpdatedDateUTC=net_date(stamp),
                       UpdatedDateUTCString=utc_string(stamp))
        store.put(KIND, payment["PaymentID"], payment, tenant, stamp)
        invoice = documents.find(store, tenant, documents.INVOICE, payment["_invoice"])
        invoice["Payments"] = [p for p in invoice["Payments"] if p["PaymentID"] != payment_id]
        if invoice["Status"] == "PAID":
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)
        _apply(sandbox, tenant, invoice, -money(payment["Amount"]), None)
        return payment


def _summary(payment):
    return {key: payment[key] for key in ("PaymentID", "Date", "Amount", "Reference",
                                         "CurrencyRate", "HasAccount", "HasValidationErrors")}


def _apply(sandbox, tenant, invoice, amount, day):
    invoice["AmountPaid"] = float(money(invoice["AmountPaid"]) + amount)
    invoice["AmountDue"] = float(money(invoice["AmountDue"]) - amount)
    if invoice["AmountDue"] == 0 and day is not None:
        invoice.update(Status="PAID", FullyPaidOnDate=net_date(ms_of(day)))
    documents.write(sandbox, tenant, documents.INVOICE, invoice, created=False)


def find(store, tenant, payment_id):
    """A payment by id, or None."""
    found = store.select(KIND, tenant, "id = ?", (payment_id.lower(),), limit=1)
    return found[0] if found else None


def present(store, tenant, payments):
    """Payments as the API returns them, each with a summary of its invoice."""
    shown = []
    for payment in payments:
        invoice = documents.find(store, tenant, documents.INVOICE, payment["_invoice"])
        summary = {key: invoice.get(key) for key in (
            "InvoiceID", "InvoiceNumber", "Type", "Status", "Total", "AmountDue", "AmountPaid",
            "CurrencyCode", "IsDiscounted", "HasErrors") if invoice.get(key) is not None}
        summary["Contact"] = invoice["Contact"]
        summary["LineItems"] = []
        shown.append({**public(payment), "Invoice": summary})
    return shown
