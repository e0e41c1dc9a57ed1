"""The JSON types Xero's deserializer accepts for each writable object.

A value of the wrong type is a PostDataInvalidException, as in Xero; fields Xero does not
know are ignored, as Xero's deserializer ignores them.
"""
from ..errors import post_data_invalid

TEXT, NUMBER, FLAG = "string", "number", "boolean"
ADDRESS = {name: TEXT for name in ("AddressType", "AddressLine1", "AddressLine2", "AddressLine3",
                                   "AddressLine4", "City", "Region", "PostalCode", "Country",
                                   "AttentionTo")}
PHONE = {name: TEXT for name in ("PhoneType", "PhoneNumber", "PhoneAreaCode", "PhoneCountryCode")}
PERSON = {"FirstName": TEXT, "LastName": TEXT, "EmailAddress": TEXT, "IncludeInEmails": FLAG}
TERM = {"Day": NUMBER, "Type": TEXT}
CONTACT = {
    **{name: TEXT for name in (
        "ContactID", "ContactNumber", "AccountNumber", "ContactStatus", "Name", "FirstName",
        "LastName", "CompanyNumber", "EmailAddress", "BankAccountDetails", "TaxNumber",
        "TaxNumberType", "AccountsReceivableTaxType", "AccountsPayableTaxType", "DefaultCurrency",
        "SalesDefaultAccountCode", "PurchasesDefaultAccountCode", "SalesDefaultLineAmountType",
        "PurchasesDefaultLineAmountType", "Website", "XeroNetworkKey")},
    "IsCustomer": FLAG, "IsSupplier": FLAG,
    "Addresses": [ADDRESS], "Phones": [PHONE], "ContactPersons": [PERSON],
    "PaymentTerms": {"Bills": TERM, "Sales": TERM},
}
LINE_ITEM = {
    **{name: TEXT for name in ("LineItemID", "Description", "ItemCode", "AccountCode", "AccountID",
                               "TaxType")},
    **{name: NUMBER for name in ("Quantity", "UnitAmount", "TaxAmount", "LineAmount",
                                 "DiscountRate", "DiscountAmount")},
}
CONTACT_REF = {name: TEXT for name in ("ContactID", "Name", "ContactNumber")}
INVOICE = {
    **{name: TEXT for name in ("Type", "InvoiceID", "InvoiceNumber", "Reference", "Date", "DueDate",
                               "Status", "LineAmountTypes", "CurrencyCode", "Url",
                               "ExpectedPaymentDate", "BrandingThemeID")},
    "CurrencyRate": NUMBER, "SentToContact": FLAG,
    "Contact": CONTACT_REF, "LineItems": [LINE_ITEM],
}
CREDIT_NOTE = {**INVOICE, "CreditNoteID": TEXT, "CreditNoteNumber": TEXT}
PAYMENT = {
    "Invoice": {"InvoiceID": TEXT, "InvoiceNumber": TEXT},
    "Account": {"AccountID": TEXT, "Code": TEXT},
    **{name: TEXT for name in ("PaymentID", "Date", "Reference", "Status", "InvoiceNumber", "Code")},
    "Amount": NUMBER, "CurrencyRate": NUMBER, "IsReconciled": FLAG,
}


def _type_ok(value, expected):
    if value is None:
        return True
    if expected == TEXT:
        return isinstance(value, str)
    if expected == FLAG:
        return isinstance(value, bool) or value in ("true", "false")
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def check_types(value, shape, path="$"):
    """Raise PostDataInvalidException where `value` does not fit `shape`."""
    if isinstance(shape, list):
        if not isinstance(value, list):
            raise post_data_invalid(f"'{path}' should be an array.")
        for index, item in enumerate(value):
            check_types(item, shape[0], f"{path}[{index}]")
        return
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise post_data_invalid(f"'{path}' should be an object.")
        for name, expected in shape.items():
            if name in value and value[name] is not None:
                check_types(value[name], expected, f"{path}.{name}")
        return
    if not _type_ok(value, shape):
        raise post_data_invalid(f"Error converting value {value!r} to type '{shape}'. "
                                f"Path '{path}'.")
