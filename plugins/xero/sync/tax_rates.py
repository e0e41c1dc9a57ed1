"""The organisation's tax rates: read for Integration Settings, kept locally, matched to lines."""
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select

from bm.extensions import db

from ..models import XeroTaxRate


def decimal_or_none(value):
    """A Decimal from Xero's number (or text), or None when it is missing or not a number."""
    try:
        return Decimal(str(value)) if value is not None and value != "" else None
    except InvalidOperation:
        return None


def organisation_choices(xero, tenant_id):
    """Read the organisation's accounts and tax rates for Integration Settings (2 calls).

    :return: ``{"banks": [...], "sales_accounts": [...], "tax_rates": [...]}``, each a list of
        Xero's own dicts; the tax rates are also kept locally for choosing a line's TaxType.
    """
    accounts = xero.get("Accounts", {"where": 'Status=="ACTIVE"'}).get("Accounts") or []
    rates = store_tax_rates(tenant_id, xero.get("TaxRates").get("TaxRates") or [])
    return {
        "banks": [a for a in accounts if a.get("Type") == "BANK"],
        "sales_accounts": [a for a in accounts if a.get("Class") == "REVENUE" or a.get("Type") in ("REVENUE", "SALES")],
        "tax_rates": [r for r in rates if r.status == "ACTIVE" and not _purchase_rate(r)],
    }


def store_tax_rates(tenant_id, rates):
    """Replace the local copy of the organisation's tax rates; return the rows."""
    db.session.execute(delete(XeroTaxRate).where(XeroTaxRate.tenant_id == tenant_id))
    rows = []
    for rate in rates:
        if not isinstance(rate, dict) or not rate.get("TaxType"):
            continue
        rows.append(XeroTaxRate(
            tenant_id=tenant_id, tax_type=str(rate["TaxType"])[:50], name=str(rate.get("Name") or "")[:255],
            rate=str(decimal_or_none(rate.get("EffectiveRate")) or 0), report_tax_type=str(rate.get("ReportTaxType") or "")[:50],
            status=str(rate.get("Status") or "ACTIVE")[:20]))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _purchase_rate(rate):
    return "INPUT" in rate.report_tax_type.upper()


def tax_type_for(tenant_id, rate, default_tax_type=""):
    """The Xero TaxType for a practice line's tax rate, or None when the organisation has none.

    The configured default wins when its rate matches; otherwise a sales rate with the same
    effective rate: the plain ones Xero reports as OUTPUT or ZERORATEDOUTPUT before the special
    ones (capital sales, EC services, exempt, ...) that share the rate.
    """
    rates = db.session.scalars(select(XeroTaxRate).where(
        XeroTaxRate.tenant_id == tenant_id, XeroTaxRate.status == "ACTIVE")).all()
    matching = [r for r in rates if decimal_or_none(r.rate) == rate and not _purchase_rate(r)]
    for candidate in matching:
        if candidate.tax_type == default_tax_type:
            return candidate.tax_type
    matching.sort(key=lambda r: (_SALES_PREFERENCE.get(r.report_tax_type.upper(), len(_SALES_PREFERENCE)),
                                 r.tax_type))
    return matching[0].tax_type if matching else None


_SALES_PREFERENCE = {"OUTPUT": 0, "ZERORATEDOUTPUT": 1, "SALESOUTPUT": 2, "NONE": 3, "EXEMPTOUTPUT": 4}


def rate_of(tenant_id, tax_type):
    """The effective rate (%) of a Xero TaxType from the local copy, or None."""
    row = db.session.get(XeroTaxRate, (tenant_id, tax_type or ""))
    return decimal_or_none(row.rate) if row else None
