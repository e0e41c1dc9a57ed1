"""Line, tax and total arithmetic as Xero does it for Exclusive, Inclusive and NoTax amounts."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..formats import LARGEST_AMOUNT, decimal, money, number
from .http import Invalid

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
HUNDRED = Decimal(100)
# Accounts an invoice line may not be coded to: money in the bank, and the ledgers Xero keeps itself.
NOT_FOR_LINES = {"DEBTORS", "CREDITORS", "GST"}


@dataclass(frozen=True)
class Pricing:
    """The organisation's rates and accounts, and how unit amounts are rounded for one request.

    ``unit_places`` is 2 unless the request asked for ``unitdp=4``; ``round_unit_first`` says
    whether the rounded unit amount (Xero's documented way) or the full one makes the line amount.
    """

    rates: dict
    accounts: dict
    default_tax: str
    unit_places: int = 2
    round_unit_first: bool = True


def _amount(line, field):
    try:
        return decimal(line.get(field))
    except ValueError:
        raise Invalid(f"{field} must be a number.") from None


def _account(line, pricing):
    code = line.get("AccountCode") or ""
    account = pricing.accounts.get(code)
    if code and (account is None or account["Type"] == "BANK"
                 or account.get("SystemAccount") in NOT_FOR_LINES):
        raise Invalid(f"Account code '{code}' is not a valid code for this document.")
    return account


def price_line(line, amount_type, pricing):
    """One priced line: LineAmount = Qty x UnitAmount less discount, TaxAmount per line."""
    quantity, unit = _amount(line, "Quantity"), _amount(line, "UnitAmount")
    line_amount, discount = _amount(line, "LineAmount"), _amount(line, "DiscountRate")
    if quantity is None:
        quantity = Decimal(1) if (unit is not None or line_amount is not None) else None
    if unit is None and line_amount is not None and quantity:
        unit = line_amount / quantity
    priced = {key: value for key, value in line.items() if value is not None}
    if unit is None:
        if not (line.get("Description") or "").strip():
            raise Invalid("Description is required when UnitAmount is not supplied.")
        return priced, Decimal(0), Decimal(0)
    shown_unit = unit.quantize(Decimal(1).scaleb(-pricing.unit_places), rounding=ROUND_HALF_UP)
    gross = quantity * (shown_unit if pricing.round_unit_first else unit)
    if discount:
        gross = gross * (HUNDRED - discount) / HUNDRED
    if abs(gross) >= LARGEST_AMOUNT:
        raise Invalid("The line amount is too large.")
    line_amount = money(gross)
    account = _account(line, pricing)
    tax_type = "NONE" if amount_type == "NoTax" else (
        line.get("TaxType") or (account or {}).get("TaxType") or pricing.default_tax)
    if tax_type not in pricing.rates:
        raise Invalid(f"The TaxType code '{tax_type}' does not exist or cannot be used with "
                      "this type of transaction.")
    rate = pricing.rates[tax_type] / HUNDRED
    if line.get("TaxAmount") is not None and amount_type != "NoTax":
        tax = money(_amount(line, "TaxAmount"))
    elif amount_type == "Inclusive":
        tax = money(line_amount * rate / (1 + rate))
    else:
        tax = money(line_amount * rate)
    net = line_amount - tax if amount_type == "Inclusive" else line_amount
    priced.update(Quantity=number(quantity), UnitAmount=number(shown_unit),
                  LineAmount=number(line_amount), TaxType=tax_type, TaxAmount=number(tax))
    if discount:
        priced["DiscountRate"] = number(discount)
    return priced, net, tax


def price(lines, amount_type, pricing):
    """(priced lines, SubTotal, TotalTax, Total) for a document's lines."""
    if amount_type not in LINE_AMOUNT_TYPES:
        raise Invalid(f"LineAmountTypes must be one of {', '.join(LINE_AMOUNT_TYPES)}.")
    priced, subtotal, total_tax = [], Decimal(0), Decimal(0)
    for line in lines:
        line_out, net, tax = price_line(line, amount_type, pricing)
        priced.append(line_out)
        subtotal, total_tax = subtotal + net, total_tax + tax
    return priced, money(subtotal), money(total_tax), money(subtotal + total_tax)
