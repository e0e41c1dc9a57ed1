"""The organisation's settings the other rules read: accounts, tax rates, number sequences."""
from decimal import Decimal

KINDS = {"account": "Accounts", "taxrate": "TaxRates"}


def organisation(store, tenant):
    """The organisation record for a tenant id, or None."""
    return store.get("organisation", tenant)


def accounts_by_code(store, tenant):
    """Active accounts keyed by Code."""
    return {a["Code"]: a for a in store.select("account", tenant)
            if a["Status"] == "ACTIVE" and a.get("Code")}


def tax_rates(store, tenant):
    """Active tax rates as {TaxType: EffectiveRate as Decimal}."""
    return {r["TaxType"]: Decimal(str(r["EffectiveRate"])) for r in store.select("taxrate", tenant)
            if r["Status"] == "ACTIVE"}


def next_number(store, tenant, sequence, prefix, taken):
    """The next free number in an organisation's sequence, e.g. INV-0001, skipping used ones."""
    with store.transaction():
        org = store.get("organisation", tenant)
        value = org.get(sequence, 1)
        while taken(f"{prefix}{value:04d}"):
            value += 1
        org[sequence] = value + 1
        store.put("organisation", tenant, org, tenant)
    return f"{prefix}{value:04d}"
