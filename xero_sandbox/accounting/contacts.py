"""Xero's contact rules: unique active names, read-only IsCustomer, archiving and merging."""
import re
import uuid

from ..formats import decimal, net_date, public
from ..query import Field, json_field
from .http import Invalid
from .listing import UPDATED, field_resolver

KIND = "contact"
FIELDS = field_resolver({
    "ContactID": Field("id", "id"), "UpdatedDateUTC": UPDATED,
    "IsCustomer": json_field("IsCustomer", "bool"), "IsSupplier": json_field("IsSupplier", "bool"),
})
TEXT_FIELDS = ("ContactNumber", "AccountNumber", "Name", "FirstName", "LastName", "CompanyNumber",
               "EmailAddress", "BankAccountDetails", "TaxNumber", "TaxNumberType",
               "AccountsReceivableTaxType", "AccountsPayableTaxType", "DefaultCurrency",
               "SalesDefaultAccountCode", "PurchasesDefaultAccountCode",
               "SalesDefaultLineAmountType", "PurchasesDefaultLineAmountType", "ContactStatus")
MAX_LENGTHS = {"Name": 255, "FirstName": 255, "LastName": 255, "EmailAddress": 255,
               "ContactNumber": 50, "AccountNumber": 50, "CompanyNumber": 50, "TaxNumber": 50}
ADDRESS_TYPES = ("POBOX", "STREET")
PHONE_TYPES = ("DEFAULT", "DDI", "FAX", "MOBILE")
DETAIL_ONLY = ("MergedToContactID", "SalesDefaultLineAmountType", "PurchasesDefaultLineAmountType")
HEAVY = ("Balances", "ContactPersons", "ContactGroups", "PaymentTerms")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ENUMS = {"TaxNumberType": ("SSN", "EIN", "ITIN", "ATIN"),
         "SalesDefaultLineAmountType": ("INCLUSIVE", "EXCLUSIVE", "NONE"),
         "PurchasesDefaultLineAmountType": ("INCLUSIVE", "EXCLUSIVE", "NONE")}
PAYMENT_TERM_TYPES = ("DAYSAFTERBILLDATE", "DAYSAFTERBILLMONTH", "OFCURRENTMONTH", "OFFOLLOWINGMONTH")


def duplicate_name_message(name):
    """Xero's exact text for a name already used by another active contact."""
    return (f"The contact name {name} is already assigned to another contact. "
            "The contact name must be unique across all active contacts.")


def new_contact(contact_id, name, now_ms):
    """A blank active contact with the empty address and phone slots Xero always lists."""
    return {
        "ContactID": contact_id, "ContactStatus": "ACTIVE", "Name": name,
        "Addresses": [{"AddressType": kind} for kind in ADDRESS_TYPES],
        "Phones": [{"PhoneType": kind} for kind in PHONE_TYPES],
        "UpdatedDateUTC": net_date(now_ms), "ContactGroups": [], "ContactPersons": [],
        "IsSupplier": False, "IsCustomer": False, "HasAttachments": False,
        "HasValidationErrors": False,
    }


def find(store, tenant, key):
    """A contact by ContactID or ContactNumber, or None."""
    found = (store.select(KIND, tenant, "id = ?", (key.lower(),), limit=1)
             or store.select(KIND, tenant, "json_extract(data, '$.ContactNumber') = ?", (key,),
                             limit=1))
    return found[0] if found else None


def name_taken(store, tenant, name, except_id):
    """True if another active contact already has this name (ignoring case)."""
    return store.count(KIND, tenant, "json_extract(data, '$.Name') = ? COLLATE NOCASE AND "
                       "json_extract(data, '$.ContactStatus') = 'ACTIVE' AND id != ?",
                       (name, except_id)) > 0


def _merge_slots(current, submitted, key, kinds):
    by_type = {slot[key]: slot for slot in current}
    for slot in submitted:
        by_type[slot.get(key) or kinds[0]] = {**slot, key: slot.get(key) or kinds[0]}
    return list(by_type.values())


def _term_problems(terms):
    problems = []
    for side, term in (terms or {}).items():
        if not isinstance(term, dict):
            continue
        if term.get("Type") is not None and term["Type"] not in PAYMENT_TERM_TYPES:
            problems.append(f"PaymentTerms {side} Type must be one of {', '.join(PAYMENT_TERM_TYPES)}.")
        day = decimal(term.get("Day"))
        most = 31 if term.get("Type") in ("OFCURRENTMONTH", "OFFOLLOWINGMONTH") else 999
        if day is not None and (day != day.to_integral_value() or not 0 <= day <= most):
            problems.append(f"PaymentTerms {side} Day must be a whole number from 0 to {most}.")
    return problems


def _problems(contact, item, currency):
    problems = []
    for name, allowed in ENUMS.items():
        if contact.get(name) and contact[name] not in allowed:
            problems.append(f"{name} must be one of {', '.join(allowed)}.")
    if contact.get("DefaultCurrency") and contact["DefaultCurrency"] != currency:
        problems.append(f"The currency '{contact['DefaultCurrency']}' has not been added to this "
                        "organisation.")
    problems += _term_problems(contact.get("PaymentTerms"))
    for name, limit in MAX_LENGTHS.items():
        if len(contact.get(name) or "") > limit:
            problems.append(f"The {name} field must be {limit} characters or less.")
    if contact.get("EmailAddress") and not EMAIL.match(contact["EmailAddress"]):
        problems.append("Email address must be valid.")
    if contact["ContactStatus"] not in ("ACTIVE", "ARCHIVED", "GDPRREQUEST"):
        problems.append("Contact status must be one of ACTIVE, ARCHIVED or GDPRREQUEST.")
    for address in item.get("Addresses") or []:
        if address.get("AddressType") not in (None, *ADDRESS_TYPES):
            problems.append(f"Invalid address type {address['AddressType']}.")
    for phone in item.get("Phones") or []:
        if phone.get("PhoneType") not in (None, *PHONE_TYPES, "OFFICE"):
            problems.append(f"Invalid phone type {phone['PhoneType']}.")
    return problems


def save(sandbox, tenant, item, contact_id=None):
    """Create or update one contact from submitted JSON; raise Invalid with Xero's messages."""
    store, now = sandbox.store, sandbox.clock.now_ms()
    contact_id = (contact_id or item.get("ContactID") or "").lower()
    existing = find(store, tenant, contact_id) if contact_id else None
    if contact_id and existing is None:
        raise Invalid("The contact with the specified ContactID could not be found.")
    name = (item.get("Name") or "").strip()
    if existing is None and not name:
        raise Invalid("The contact name must be specified.")
    contact = dict(existing) if existing else new_contact(str(uuid.uuid4()), name, now)
    for field in TEXT_FIELDS:
        if field in item and item[field] is not None:
            contact[field] = item[field].strip() if field == "Name" else item[field]
    if not contact["Name"]:
        raise Invalid("The contact name must be specified.")
    if item.get("Addresses") is not None:
        contact["Addresses"] = _merge_slots(contact["Addresses"], item["Addresses"], "AddressType",
                                            ADDRESS_TYPES)
    if item.get("Phones") is not None:
        contact["Phones"] = _merge_slots(contact["Phones"], item["Phones"], "PhoneType", PHONE_TYPES)
    if item.get("ContactPersons") is not None:
        contact["ContactPersons"] = item["ContactPersons"]
    if item.get("PaymentTerms") is not None:
        contact["PaymentTerms"] = {side: term for side, term in item["PaymentTerms"].items()
                                   if side in ("Bills", "Sales") and term is not None}
    problems = _problems(contact, item, store.get("organisation", tenant)["BaseCurrency"])
    if contact["ContactStatus"] == "ACTIVE" and name_taken(store, tenant, contact["Name"],
                                                           contact["ContactID"]):
        problems.insert(0, duplicate_name_message(contact["Name"]))
    if problems:
        raise Invalid(*problems)
    if contact != existing:
        _write(sandbox, tenant, contact, created=existing is None,
               renamed=bool(existing) and existing["Name"] != contact["Name"])
    return contact


def _write(sandbox, tenant, contact, created, renamed=False):
    now = sandbox.clock.now_ms()
    contact["UpdatedDateUTC"] = net_date(now)
    sandbox.store.put(KIND, contact["ContactID"], contact, tenant, now)
    if renamed:
        sandbox.store.execute(
            "UPDATE records SET data = json_set(data, '$.Contact.Name', ?) WHERE kind IN "
            "('invoice', 'creditnote') AND tenant = ? AND "
            "json_extract(data, '$.Contact.ContactID') = ?",
            (contact["Name"], tenant, contact["ContactID"]))
    sandbox.webhooks.publish(tenant, "CONTACT", "CREATE" if created else "UPDATE",
                             contact["ContactID"])


def set_status(sandbox, tenant, contact_id, status):
    """Archive or restore a contact (restoring checks the unique-name rule)."""
    return save(sandbox, tenant, {"ContactStatus": status}, contact_id)


def mark_role(sandbox, tenant, contact_id, role):
    """Set IsCustomer/IsSupplier, which Xero does without touching UpdatedDateUTC."""
    sandbox.store.execute(
        f"UPDATE records SET data = json_set(data, '$.{role}', json('true')) "
        "WHERE kind = ? AND tenant = ? AND id = ?", (KIND, tenant, contact_id))


def merge(sandbox, tenant, keep_id, merge_id):
    """Merge one contact into another as Xero's UI does: transactions move, the other is archived."""
    store = sandbox.store
    with store.transaction():
        keep, gone = find(store, tenant, keep_id), find(store, tenant, merge_id)
        if keep is None or gone is None or keep["ContactID"] == gone["ContactID"]:
            raise Invalid("Choose two different contacts to merge.")
        store.execute(
            "UPDATE records SET data = json_set(data, '$.Contact.ContactID', ?, '$.Contact.Name', ?) "
            "WHERE kind IN ('invoice', 'creditnote') AND tenant = ? AND "
            "json_extract(data, '$.Contact.ContactID') = ?",
            (keep["ContactID"], keep["Name"], tenant, gone["ContactID"]))
        for role in ("IsCustomer", "IsSupplier"):
            keep[role] = keep[role] or gone[role]
        gone.update(ContactStatus="ARCHIVED", MergedToContactID=keep["ContactID"])
        _write(sandbox, tenant, gone, created=False)
        _write(sandbox, tenant, keep, created=False)
    return keep


def balances(store, tenant, contact_ids, today):
    """Outstanding and overdue receivables/payables per contact, from authorised invoices."""
    if not contact_ids:
        return {}
    rows = store.rows(
        "SELECT json_extract(data, '$.Contact.ContactID'), json_extract(data, '$.Type'), "
        "total(json_extract(data, '$.AmountDue')), "
        "total(CASE WHEN json_extract(data, '$._due') < ? THEN json_extract(data, '$.AmountDue') END) "
        "FROM records WHERE kind = 'invoice' AND tenant = ? AND "
        "json_extract(data, '$.Status') = 'AUTHORISED' AND "
        f"json_extract(data, '$.Contact.ContactID') IN ({','.join('?' * len(contact_ids))}) "
        "GROUP BY 1, 2", (today, tenant, *contact_ids))
    result = {}
    for contact_id, kind, outstanding, overdue in rows:
        side = "AccountsReceivable" if kind == "ACCREC" else "AccountsPayable"
        result.setdefault(contact_id, {})[side] = {"Outstanding": round(outstanding, 2),
                                                   "Overdue": round(overdue, 2)}
    return result


def present(contacts, mode, store=None, tenant=None, today=None):
    """Contacts as the API returns them: `full` (one/paged), `unpaged` or `summary`."""
    shown = [public(contact) for contact in contacts]
    if mode == "full":
        found = balances(store, tenant, [c["ContactID"] for c in shown], today)
        zero = {"Outstanding": 0.0, "Overdue": 0.0}
        for contact in shown:
            mine = found.get(contact["ContactID"], {})
            contact["Balances"] = {"AccountsReceivable": mine.get("AccountsReceivable", zero),
                                   "AccountsPayable": mine.get("AccountsPayable", zero)}
        return shown
    dropped = DETAIL_ONLY if mode == "unpaged" else HEAVY
    return [{k: v for k, v in contact.items() if k not in dropped} for contact in shown]
