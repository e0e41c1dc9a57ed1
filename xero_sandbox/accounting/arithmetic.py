"""Line, tax and total arithmetic as Xero does it for Exclusive, Inclusive and NoTax amounts."""
from decimal import Decimal

from ..formats import decimal, money, number
from .http import Invalid

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
HUNDRED = Decimal(100)


def _amount(line, field):
    try:
        return decimal(line.get(field))
    except ValueError:
        raise Invalid(f"{field} must be a number.") from None


def price_line(line, amount_type, rates, accounts, default_tax):
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
    gross = quantity * unit
    if discount:
        gross = gross * (HUNDRED - discount) / HUNDRED
    line_amount = money(gross)
    account = accounts.get(line.get("AccountCode") or "")
    if line.get("AccountCode") and account is None:
        raise Invalid(f"Account code '{line['AccountCode']}' is not a valid code for this document.")
    tax_type = "NONE" if amount_type == "NoTax" else (
        line.get("TaxType") or (account or {}).get("TaxType") or default_tax)
    if tax_type not in rates:
        raise Invalid(f"The TaxType code '{tax_type}' does not exist or cannot be used with "
                      "this type of transaction.")
    rate = rates[tax_type] / HUNDRED
    if line.get("TaxAmount") is not None and amount_type != "NoTax":
        tax = money(_amount(line, "TaxAmount"))
    elif amount_type == "Inclusive":
        tax = money(line_amount * rate / (1 + rate))
    else:
        tax = money(line_amount * rate)
    net = line_amount - tax if amount_type == "Inclusive" else line_amount
    priced.update(Quantity=number(quantity), UnitAmount=number(unit.quantize(Decimal("0.0001"))),
                  LineAmount=number(line_amount), TaxType=tax_type, TaxAmount=number(tax))
    if discount:
        priced["DiscountRate"] = number(discount)
    return priced, net, tax


def price(lines, amount_type, rates, accounts, default_tax):
    """(priced lines, SubTotal, TotalTax, Total) for a document's lines."""
    if amount_type not in LINE_AMOUNT_TYPES:
        raise Invalid(f"LineAmountTypes must be one of {', '.join(LINE_AMOUNT_TYPES)}.")
    priced, subtotal, total_tax = [], Decimal(0), Decimal(0)
    for line in lines:
        line_out, net, tax = price_line(line, amount_type, rates, accounts, default_tax)
        priced.append(line_out)
        subtotal, total_tax = subtotal + net, total_tax + tax
    return priced, money(subtotal), money(total_tax), money(subtotal + total_tax)
