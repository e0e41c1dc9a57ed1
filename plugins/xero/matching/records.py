"""A Xero contact or a practice client read once into a Record of normalised fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .fields import (business_domain, code, email, entries, phone, postcode, present, street, tax_number,
                     xero_phone)
from .names import name_variants
from .people import Person, client_people, contact_people
from .text import text


@dataclass(slots=True)
class Record:
    """One contact's or client's fields as compared; any of them may be empty."""

    key: Any
    names: list[tuple[str, int]]  # (sorted normalised tokens, variant kind), primary first
    tokens: tuple[str, ...]  # the primary name's tokens, for initials
    people: list[Person]
    company: bool  # a legal suffix: a company is never the same client as a person
    person: bool  # the record is plainly a person (or a couple)
    emails: list[str]
    domains: list[str]
    phones: list[str]
    postcodes: list[str]
    lines: list[str]
    tax: str
    number: str
    account: str


def contact_record(contact: Mapping[str, Any] | None) -> Record:
    """Return a Xero contact (the Accounting API's Contact JSON) as a Record."""
    contact = contact if isinstance(contact, Mapping) else {}
    name = _name(contact, "Name", "FirstName", "LastName")
    variants, tokens, company = name_variants(name)
    people, person = contact_people(contact, name, variants, company)
    addresses = entries(contact.get("Addresses"))
    return _record(
        contact.get("ContactID"), variants, tokens, people, company, person,
        emails=[email(contact.get("EmailAddress"))]
        + [email(entry.get("EmailAddress")) for entry in entries(contact.get("ContactPersons"))],
        phones=[xero_phone(entry) for entry in entries(contact.get("Phones"))],
        postcodes=[postcode(address.get("PostalCode")) for address in addresses],
        lines=[street(address.get("AddressLine1")) for address in addresses],
        tax=tax_number(contact.get("TaxNumber")),
        number=code(contact.get("ContactNumber")),
        account=code(contact.get("AccountNumber")),
    )


def client_record(client: Mapping[str, Any] | None) -> Record:
    """Return a practice client (a dict with the Client model's field names) as a Record."""
    client = client if isinstance(client, Mapping) else {}
    first, last = text(client.get("first_name")), text(client.get("last_name"))
    name = _name(client, "name", "first_name", "last_name")
    variants, tokens, company = name_variants(name)
    kind = text(client.get("kind")).lower()
    individual = kind == "individual" or (not kind and not company and bool(last))
    return _record(
        client.get("id"), variants, tokens, client_people(first, last, name, individual, company),
        company and not individual, individual,
        emails=[email(client.get("email"))],
        phones=[phone(client.get("phone"))],
        postcodes=[postcode(client.get("postcode"))],
        lines=[street(client.get("address_line1"))],
        tax=tax_number(client.get("tax_number")),
        number=code(client.get("reference")),
        account=code(client.get("account_number")),
    )


def _name(record: Mapping[str, Any], name: str, first: str, last: str) -> str:
    """Return the record's name, or its first and last name when it has none."""
    return text(record.get(name)) or f"{text(record.get(first))} {text(record.get(last))}".strip()


def _record(key: Any, variants: list[tuple[str, int]], tokens: tuple[str, ...], people: list[Person],
            company: bool, person: bool, *, emails: list[str], phones: list[str], postcodes: list[str],
            lines: list[str], tax: str, number: str, account: str) -> Record:
    """Return the Record, each list without empty values or repeats."""
    emails = present(emails)
    return Record(key=key, names=variants, tokens=tokens, people=people, company=company, person=person,
                  emails=emails, domains=present(business_domain(address) for address in emails),
                  phones=present(phones), postcodes=present(postcodes), lines=present(lines),
                  tax=tax, number=number, account=account)
