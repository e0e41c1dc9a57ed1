"""A practice client's fields against a Xero contact, both ways (plugins/xero/sync/fields.py)."""
from types import SimpleNamespace as Obj

import pytest

from plugins.xero.sync.fields import (FIELD_LABELS, SYNCED_FIELDS, client_values, contact_body, new_client_values,
                                      practice_values)

CONTACT = {
    "Name": " Harbour View Café Ltd ", "FirstName": "Ana", "LastName": "Silva", "EmailAddress": "ana@harbour.example",
    "TaxNumber": "GB123", "AccountNumber": "HV1",
    "Addresses": [{"AddressType": "POBOX", "AddressLine1": "PO Box 7", "AddressLine2": "Quay", "City": "Bristol",
                   "Region": "Avon", "PostalCode": "BS1 4DJ", "Country": "UK"}],
    "Phones": [{"PhoneType": "DEFAULT", "PhoneCountryCode": "44", "PhoneAreaCode": "117", "PhoneNumber": "496 0000"}],
}
VALUES = {"name": "Harbour View Café Ltd", "first_name": "Ana", "last_name": "Silva", "email": "ana@harbour.example",
          "tax_number": "GB123", "account_number": "HV1", "address_line1": "PO Box 7", "address_line2": "Quay",
          "city": "Bristol", "region": "Avon", "postcode": "BS1 4DJ", "country": "UK", "phone": "44 117 496 0000"}


def test_every_synced_field_is_read_from_its_xero_field_trimmed():
    assert client_values(CONTACT) == VALUES
    assert set(VALUES) == set(SYNCED_FIELDS) == set(FIELD_LABELS)


def test_a_contact_with_nothing_reads_as_blanks():
    assert client_values({"Addresses": None, "Phones": None}) == {field: "" for field in SYNCED_FIELDS}
    assert client_values({"Addresses": ["junk", None], "Phones": ["junk"], "Name": 7})["name"] == "7"


def test_an_address_with_only_blanks_or_another_type_is_passed_over():
    contact = {"Addresses": [{"AddressType": "POBOX", "City": "  "}, {"AddressType": "DELIVERY", "City": "Leeds"},
                             {"AddressType": "STREET", "Country": "Wales"}]}
    values = client_values(contact)
    assert (values["city"], values["country"]) == ("", "Wales")
    only_region = {"Addresses": [{"AddressType": "POBOX", "Region": "Kent"}]}
    assert client_values(only_region)["region"] == "Kent"


def test_the_default_phone_is_preferred_else_the_first_with_a_number():
    phones = [{"PhoneType": "MOBILE", "PhoneNumber": "07700 1"}, {"PhoneType": "DEFAULT", "PhoneNumber": ""},
              {"PhoneType": "FAX", "PhoneNumber": "0118 2"}]
    assert client_values({"Phones": phones})["phone"] == "07700 1"
    phones.append({"PhoneType": "DEFAULT", "PhoneNumber": "0118 3", "PhoneAreaCode": " ", "PhoneCountryCode": None})
    assert client_values({"Phones": phones})["phone"] == "0118 3"


def test_practice_values_are_the_clients_synced_fields_as_text():
    client = Obj(**{field: f" {field} " for field in SYNCED_FIELDS})
    client.phone = None
    assert practice_values(client) == {**{field: field for field in SYNCED_FIELDS}, "phone": ""}


def test_contact_body_carries_only_the_fields_asked():
    assert contact_body(VALUES, fields=("email", "name")) == {"EmailAddress": "ana@harbour.example",
                                                              "Name": "Harbour View Café Ltd"}
    assert contact_body(VALUES, fields=("city",)) == {"Addresses": [{
        "AddressType": "POBOX", "AddressLine1": "PO Box 7", "AddressLine2": "Quay", "City": "Bristol",
        "Region": "Avon", "PostalCode": "BS1 4DJ", "Country": "UK"}]}
    assert contact_body(VALUES, fields=()) == {}


def test_contact_body_of_every_field_reads_back_as_the_same_values():
    body = contact_body(VALUES)
    assert client_values(body) == VALUES
    assert body["Phones"] == [{"PhoneType": "DEFAULT", "PhoneNumber": "44 117 496 0000", "PhoneAreaCode": "",
                               "PhoneCountryCode": ""}]


@pytest.mark.parametrize(("name", "first", "last", "kind"), [
    ("Ana Silva", "Ana", "Silva", "individual"),
    ("Silva", "", "Silva", "individual"),
    ("Ana", "Ana", "", "individual"),
    ("Ana Silva Ltd", "Ana", "Silva", "business"),
    ("Ana Silva Ltd", "Ana", "Silva Ltd", "business"),
    ("Ana Silva LLP", "Ana", "Silva LLP", "business"),
    ("Ana Silva", "", "", "business"),
    ("Silva & Co", "Ana", "Silva", "business"),
    ("ana silva llp", "ana", "silva", "business"),
    ("A Limited", "A", "Limited", "business"),
    ("Ana Plc", "Ana", "Plc", "business"),
    ("Ana Inc", "Ana", "Inc", "business"),
    ("Ana LLC", "Ana", "LLC", "business"),
])
def test_a_new_client_from_xero_is_an_individual_only_when_its_name_is_its_persons(name, first, last, kind):
    values = new_client_values({"Name": name, "FirstName": first, "LastName": last})
    assert (values["kind"], values["reference"], values["name"]) == (kind, "", name)
