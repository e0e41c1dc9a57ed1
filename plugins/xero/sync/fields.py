"""How a practice client's fields map onto a Xero contact, both ways."""
from bm.models import Client

SYNCED_FIELDS = Client.SYNCED_FIELDS
ADDRESS_FIELDS = {
    "address_line1": "AddressLine1", "address_line2": "AddressLine2", "city": "City",
    "region": "Region", "postcode": "PostalCode", "country": "Country",
}
PLAIN_FIELDS = {
    "name": "Name", "first_name": "FirstName", "last_name": "LastName", "email": "EmailAddress",
    "tax_number": "TaxNumber", "account_number": "AccountNumber",
}
FIELD_LABELS = {
    "name": "Name", "first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone",
    "address_line1": "Address line 1", "address_line2": "Address line 2", "city": "City", "region": "Region",
    "postcode": "Postcode", "country": "Country", "tax_number": "Tax number", "account_number": "Account number",
}
POSTAL = "POBOX"
PHONE = "DEFAULT"


def _text(value):
    return "" if value is None else str(value).strip()


def _postal_address(contact):
    # Xero lists empty POBOX and STREET slots alike: use the postal address if it has anything
    # in it, else the street address.
    addresses = [address for address in contact.get("Addresses") or [] if isinstance(address, dict)]
    filled = {address.get("AddressType"): address for address in addresses
              if any(_text(address.get(key)) for key in ADDRESS_FIELDS.values())}
    return filled.get(POSTAL) or filled.get("STREET") or {}


def _phone(contact):
    phones = [phone for phone in contact.get("Phones") or [] if isinstance(phone, dict)]
    chosen = next((p for p in phones if p.get("PhoneType") == PHONE and p.get("PhoneNumber")), None)
    chosen = chosen or next((p for p in phones if p.get("PhoneNumber")), {})
    parts = (chosen.get("PhoneCountryCode"), chosen.get("PhoneAreaCode"), chosen.get("PhoneNumber"))
    return " ".join(_text(part) for part in parts if _text(part))


def client_values(contact):
    """The practice client's synced fields as this Xero contact holds them."""
    values = {field: _text(contact.get(key)) for field, key in PLAIN_FIELDS.items()}
    address = _postal_address(contact)
    values.update({field: _text(address.get(key)) for field, key in ADDRESS_FIELDS.items()})
    values["phone"] = _phone(contact)
    return values


def practice_values(client):
    """The client's synced fields as the practice holds them."""
    return {field: _text(getattr(client, field)) for field in SYNCED_FIELDS}


def contact_body(values, fields=SYNCED_FIELDS):
    """Xero Contact JSON carrying ``fields`` of ``values`` (other contact fields untouched)."""
    body = {PLAIN_FIELDS[field]: values[field] for field in fields if field in PLAIN_FIELDS}
    if any(field in ADDRESS_FIELDS for field in fields):
        body["Addresses"] = [{"AddressType": POSTAL,
                              **{ADDRESS_FIELDS[field]: values[field] for field in ADDRESS_FIELDS}}]
    if "phone" in fields:
        body["Phones"] = [{"PhoneType": PHONE, "PhoneNumber": values["phone"],
                           "PhoneAreaCode": "", "PhoneCountryCode": ""}]
    return body


def new_client_values(contact):
    """Fields for a new practice client made from a Xero contact (Create in BrightManager)."""
    values = client_values(contact)
    individual = bool(values["first_name"] or values["last_name"]) and not values["name"].lower().endswith(
        ("ltd", "limited", "llp", "plc", "inc", "llc"))
    values["kind"] = "individual" if individual and values["name"] == f"{values['first_name']} {values['last_name']}".strip() else "business"
    values["reference"] = ""
    return values
