"""A Xero invoice line as the practice keeps it (plugins/xero/sync/invoices.py ``_practice_line``):
tax-exclusive, with the same net amount and rate, whatever way Xero expressed it."""
import pytest

from plugins.xero.models import XeroTaxRate
from plugins.xero.sync.invoices import _practice_line

TENANT = "tenant-1"


def line(item, amount_types="NoTax"):
    return _practice_line(TENANT, item, amount_types)


def test_a_line_with_only_a_description_is_a_line_of_nothing():
    assert line({"Description": "Note: thank you"}) == {
        "description": "Note: thank you", "quantity": "1", "unit_price": "0", "tax_rate": "0"}
    assert line({"ItemCode": "NOTE"})["description"] == "NOTE"


@pytest.mark.parametrize("item", [{}, {"Description": "  "}, "not a line", None])
def test_a_line_with_nothing_to_show_is_left_out(item):
    assert line(item) is None


def test_quantity_and_unit_amount_make_the_net_when_xero_sends_no_line_amount():
    assert line({"Description": "Hours", "Quantity": 3, "UnitAmount": 40}) == {
        "description": "Hours", "quantity": "3", "unit_price": "40.00", "tax_rate": "0"}
    assert line({"UnitAmount": 25})["quantity"] == "1"  # no quantity: one


def test_the_line_amount_wins_over_quantity_times_unit():
    assert line({"Description": "Hours", "Quantity": 2, "UnitAmount": 50, "LineAmount": 90}) == {
        "description": "Hours", "quantity": "2", "unit_price": "45.00", "tax_rate": "0"}


def test_an_amount_no_unit_price_can_show_is_kept_exact_as_one_line():
    assert line({"Description": "Hours", "Quantity": 3, "UnitAmount": 10, "LineAmount": 25}) == {
        "description": "Hours (3 × 10)", "quantity": "1", "unit_price": "25", "tax_rate": "0"}


def test_an_inclusive_amount_loses_its_tax_and_takes_the_rate_of_its_tax_type(core_db):
    core_db.add(XeroTaxRate(tenant_id=TENANT, tax_type="OUTPUT2", name="20% (VAT on Income)", rate="20"))
    core_db.flush()
    assert line({"Description": "Fee", "Quantity": 1, "UnitAmount": 120, "LineAmount": 120, "TaxAmount": 20,
                 "TaxType": "OUTPUT2"}, "Inclusive") == {
        "description": "Fee", "quantity": "1", "unit_price": "100.00", "tax_rate": "20"}


def test_an_unknown_tax_type_takes_the_rate_its_tax_amount_shows(core_db):
    assert line({"Description": "Fee", "LineAmount": 200, "TaxAmount": 10, "TaxType": "SPECIAL"},
                "Exclusive")["tax_rate"] == "5.0000"


def test_a_line_with_an_amount_and_no_description_is_named_as_from_xero():
    assert line({"Quantity": 1, "UnitAmount": 40})["description"] == "Line from Xero"
