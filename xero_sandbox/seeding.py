"""Fill an organisation with many contacts and some invoices, fast (bulk inserts)."""
import random

from . import demo, names
from .accounting import contacts, documents
from .formats import net_date

ADDRESS_SLOTS = contacts.ADDRESS_TYPES
PHONE_SLOTS = contacts.PHONE_TYPES


def _stored_contact(base, person, customer, now):
    contact = contacts.new_contact(demo.stable_id(base, person["Name"]), person["Name"], now)
    contact.update({k: v for k, v in person.items() if v is not None and k not in ("Phones", "Addresses")})
    contact["Phones"] = [next((p for p in person["Phones"] if p["PhoneType"] == kind),
                              {"PhoneType": kind}) for kind in PHONE_SLOTS]
    contact["Addresses"] = [next((a for a in person["Addresses"] if a["AddressType"] == kind),
                                 {"AddressType": kind}) for kind in ADDRESS_SLOTS]
    contact["IsCustomer"] = customer
    contact["UpdatedDateUTC"] = net_date(now)
    return contact


def seed(sandbox, organisation="Demo Company (UK)", contacts_count=0, customers=0, invoices=0,
         bank_accounts=0, seed_value=1):
    """Add generated data to an organisation (created if missing); returns the tenant and counts."""
    store, now = sandbox.store, sandbox.clock.now_ms()
    found = store.select("organisation", where="json_extract(data, '$.Name') = ?",
                         params=(organisation,), limit=1)
    if found:
        tenant = found[0]["OrganisationID"]
    else:
        tenant = demo.add_organisation(sandbox, organisation, "UK",
                                       short_code=f"!{demo.stable_id(organisation)[:5]}")
        user = store.get("user", demo.USER_EMAIL)
        user["tenants"].append(tenant)
        store.put("user", demo.USER_EMAIL, user)
    taken = store.column("SELECT json_extract(data, '$.Name') FROM records WHERE kind = 'contact' "
                         "AND tenant = ?", (tenant,))
    people = names.contacts(contacts_count, seed_value, taken)
    customers = min(customers, contacts_count)
    made = [_stored_contact(f"{tenant}/seed/{seed_value}", person, index < customers, now)
            for index, person in enumerate(people)]
    store.put_many(contacts.KIND, ((c["ContactID"], tenant, now, c) for c in made))
    existing_banks = store.count("account", tenant, "json_extract(data, '$.Type') = 'BANK'")
    for number in range(bank_accounts):
        code = f"{92 + existing_banks + number:03d}"
        demo.add_account(sandbox, tenant, code, f"Bank Account {code}", "BANK")
    rng = random.Random(seed_value)
    payers = made[:customers] or made
    for _ in range(invoices if payers else 0):
        contact = rng.choice(payers)
        documents.save(sandbox, tenant, documents.INVOICE, {
            "Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]},
            "Status": rng.choice(("DRAFT", "AUTHORISED", "AUTHORISED")),
            "LineItems": [{"Description": rng.choice(("Annual accounts", "Payroll", "VAT return",
                                                      "Bookkeeping", "Tax advice")),
                           "Quantity": rng.randint(1, 5), "UnitAmount": rng.randint(50, 900),
                           "AccountCode": "200"}]}, demo.CLIENT_ID)
    store.analyze()
    return {"tenantId": tenant, "organisation": organisation, "contacts": len(made),
            "customers": customers, "invoices": invoices if payers else 0,
            "bank_accounts": bank_accounts}
