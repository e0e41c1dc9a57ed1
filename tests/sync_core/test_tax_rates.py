"""The organisation's tax rates, kept locally and matched to practice lines (plugins/xero/sync/tax_rates.py)."""
from decimal import Decimal

import pytest

from bm.extensions import db
from plugins.xero.models import XeroTaxRate
from plugins.xero.sync import tax_rates

RATES = [
    {"TaxType": "OUTPUT2", "Name": "20% (VAT on Income)", "EffectiveRate": 20, "ReportTaxType": "OUTPUT",
     "Status": "ACTIVE"},
    {"TaxType": "CAPEXOUTPUT2", "Name": "20% (Capital sales)", "EffectiveRate": "20.00", "ReportTaxType": "OUTPUT",
     "Status": "ACTIVE"},
    {"TaxType": "ECOUTPUTSERVICES", "Name": "EC services", "EffectiveRate": 0, "ReportTaxType": "ECOUTPUTSERVICES"},
    {"TaxType": "ZERORATEDOUTPUT", "Name": "Zero rated income", "EffectiveRate": "0", "ReportTaxType": "ZERORATEDOUTPUT"},
    {"TaxType": "EXEMPTOUTPUT", "Name": "Exempt income", "EffectiveRate": 0, "ReportTaxType": "exemptoutput"},
    {"TaxType": "INPUT2", "Name": "20% (VAT on Expenses)", "EffectiveRate": 20, "ReportTaxType": "input"},
    {"TaxType": "OLD", "Name": "Old 17.5%", "EffectiveRate": "17.5", "ReportTaxType": "OUTPUT", "Status": "DELETED"},
    {"TaxType": "", "Name": "no type"}, "junk",
    {"TaxType": "NONE", "Name": None, "EffectiveRate": None, "ReportTaxType": None},
]


@pytest.mark.parametrize(("value", "number"), [
    (20, Decimal(20)), ("17.5", Decimal("17.5")), (0, Decimal(0)), ("", None), (None, None), ("n/a", None),
    (Decimal("0.1"), Decimal("0.1")),
])
def test_decimal_or_none(value, number):
    assert tax_rates.decimal_or_none(value) == number


def rows():
    db.session.expire_all()
    return {(r.tenant_id, r.tax_type): (r.name, r.rate, r.report_tax_type, r.status)
            for r in db.session.scalars(db.select(XeroTaxRate))}


def test_the_local_copy_is_replaced_with_xeros_usable_rates(core_db):
    tax_rates.store_tax_rates("other", [{"TaxType": "KEEP"}])
    tax_rates.store_tax_rates("t", [{"TaxType": "GONE"}])
    stored = tax_rates.store_tax_rates("t", RATES)
    db.session.commit()
    assert [row.tax_type for row in stored] == ["OUTPUT2", "CAPEXOUTPUT2", "ECOUTPUTSERVICES", "ZERORATEDOUTPUT",
                                                "EXEMPTOUTPUT", "INPUT2", "OLD", "NONE"]
    kept = rows()
    assert kept[("t", "OUTPUT2")] == ("20% (VAT on Income)", "20", "OUTPUT", "ACTIVE")
    assert kept[("t", "NONE")] == ("", "0", "", "ACTIVE")
    assert kept[("t", "OLD")] == ("Old 17.5%", "17.5", "OUTPUT", "DELETED")
    assert ("t", "GONE") not in kept and ("other", "KEEP") in kept


def test_long_values_are_cut_to_their_columns(core_db):
    tax_rates.store_tax_rates("t", [{"TaxType": "T" * 60, "Name": "N" * 300, "ReportTaxType": "R" * 60,
                                     "Status": "S" * 30}])
    db.session.commit()
    assert rows() == {("t", "T" * 50): ("N" * 255, "0", "R" * 50, "S" * 20)}


class Xero:
    def __init__(self, accounts, rates):
        self.answers, self.asked = {"Accounts": {"Accounts": accounts}, "TaxRates": {"TaxRates": rates}}, []

    def get(self, path, params=None):
        self.asked.append((path, params))
        return self.answers[path]


def test_integration_settings_offer_banks_sales_accounts_and_active_sales_rates(core_db):
    accounts = [{"Code": "090", "Type": "BANK"}, {"Code": "200", "Type": "REVENUE"}, {"Code": "260", "Type": "SALES"},
                {"Code": "270", "Class": "REVENUE", "Type": "OTHERINCOME"}, {"Code": "400", "Type": "EXPENSE"}]
    xero = Xero(accounts, RATES)
    choices = tax_rates.organisation_choices(xero, "t")
    assert xero.asked == [("Accounts", {"where": 'Status=="ACTIVE"'}), ("TaxRates", None)]
    assert [a["Code"] for a in choices["banks"]] == ["090"]
    assert [a["Code"] for a in choices["sales_accounts"]] == ["200", "260", "270"]
    assert [r.tax_type for r in choices["tax_rates"]] == ["OUTPUT2", "CAPEXOUTPUT2", "ECOUTPUTSERVICES",
                                                         "ZERORATEDOUTPUT", "EXEMPTOUTPUT", "NONE"]
    empty = tax_rates.organisation_choices(Xero(None, None), "t")
    assert empty == {"banks": [], "sales_accounts": [], "tax_rates": []}


def test_a_lines_rate_finds_the_plain_sales_rate_unless_the_default_matches(core_db):
    tax_rates.store_tax_rates("t", RATES)
    db.session.commit()
    assert tax_rates.tax_type_for("t", Decimal(20)) == "CAPEXOUTPUT2"  # both OUTPUT: by name
    assert tax_rates.tax_type_for("t", Decimal(20), "OUTPUT2") == "OUTPUT2"
    assert tax_rates.tax_type_for("t", Decimal(20), "INPUT2") == "CAPEXOUTPUT2"  # a purchase rate never
    assert tax_rates.tax_type_for("t", Decimal(0)) == "ZERORATEDOUTPUT"
    assert tax_rates.tax_type_for("t", Decimal(0), "EXEMPTOUTPUT") == "EXEMPTOUTPUT"
    assert tax_rates.tax_type_for("t", Decimal("17.5")) is None  # only a deleted rate has it
    assert tax_rates.tax_type_for("other", Decimal(20)) is None


def test_sales_rates_of_equal_rate_go_in_xeros_order_of_plainness(core_db):
    order = ["OUTPUT", "ZERORATEDOUTPUT", "SALESOUTPUT", "NONE", "EXEMPTOUTPUT", "ECOUTPUTSERVICES"]
    tax_rates.store_tax_rates("t", [{"TaxType": f"Z{n}", "EffectiveRate": 5, "ReportTaxType": report}
                                    for n, report in enumerate(reversed(order))])
    db.session.commit()
    for report in order:
        chosen = tax_rates.tax_type_for("t", Decimal(5))
        assert db.session.get(XeroTaxRate, ("t", chosen)).report_tax_type == report
        db.session.delete(db.session.get(XeroTaxRate, ("t", chosen)))
        db.session.commit()


def test_rate_of_a_tax_type(core_db):
    tax_rates.store_tax_rates("t", RATES)
    db.session.commit()
    assert tax_rates.rate_of("t", "CAPEXOUTPUT2") == Decimal(20)
    assert tax_rates.rate_of("t", "MISSING") is None
    assert tax_rates.rate_of("t", None) is None
