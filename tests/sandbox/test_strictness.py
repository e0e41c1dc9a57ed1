"""Xero refuses what Xero refuses: the sandbox is no more lenient than Xero with the data it keeps,
its money rules and its bad input, and it looks like a real UK organisation."""
import pytest

LINE = {"Description": "Work", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}


def _messages(answer):
    return " ".join(error["Message"] for element in answer.json()["Elements"]
                    for error in element["ValidationErrors"])


def _invoice(xero, **fields):
    return xero.put("Invoices", json={"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Jane Whitfeld"},
                                                    "LineItems": [LINE], **fields}]})


def test_an_invoice_in_a_currency_the_organisation_lacks_is_refused(xero):
    refused = _invoice(xero, CurrencyCode="USD")
    assert refused.status_code == 400 and "'USD' has not been added" in _messages(refused)
    assert _invoice(xero, CurrencyCode="XYZ").status_code == 400
    assert _invoice(xero, CurrencyCode="GBP").json()["Invoices"][0]["CurrencyCode"] == "GBP"


def test_contact_payment_terms_are_kept_and_checked(xero):
    terms = {"Sales": {"Day": 14, "Type": "DAYSAFTERBILLDATE"}}
    saved = xero.put("Contacts", json={"Name": "Terms Ltd", "PaymentTerms": terms}).json()["Contacts"][0]
    assert xero.get(f"Contacts/{saved['ContactID']}").json()["Contacts"][0]["PaymentTerms"] == terms
    bad = xero.put("Contacts", json={"Name": "Bad Terms Ltd", "PaymentTerms": {"Sales": {"Day": 40, "Type": "OFFOLLOWINGMONTH"}}})
    assert bad.status_code == 400 and "Day must be a whole number from 0 to 31" in _messages(bad)
    assert xero.put("Contacts", json={"Name": "Bad Type Ltd", "PaymentTerms": {"Sales": {"Day": 1, "Type": "SOON"}}}).status_code == 400


@pytest.mark.parametrize("field, value", [("TaxNumberType", "VAT"), ("DefaultCurrency", "XYZ"),
                                          ("SalesDefaultLineAmountType", "GROSS")])
def test_contact_enums_are_checked(xero, field, value):
    refused = xero.put("Contacts", json={"Name": f"Enum {field}", field: value})
    assert refused.status_code == 400 and field in _messages(refused) or "currency" in _messages(refused)


def test_website_is_read_only_as_xeros_spec_says(xero):
    saved = xero.put("Contacts", json={"Name": "Web Ltd", "Website": "https://web.example"}).json()["Contacts"][0]
    assert "Website" not in saved


def test_an_invoice_number_over_255_characters_is_refused(xero):
    refused = _invoice(xero, InvoiceNumber="N" * 300)
    assert refused.status_code == 400 and "255 characters or less" in _messages(refused)


def test_a_payment_that_rounds_to_nothing_is_refused(xero):
    invoice = _invoice(xero, Status="AUTHORISED").json()["Invoices"][0]
    refused = xero.put("Payments", json={"Payments": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                                       "Account": {"Code": "090"}, "Amount": 0.001}]})
    assert refused.status_code == 400 and "greater than zero" in _messages(refused)


def test_an_approved_invoice_may_not_total_below_zero(xero):
    credit = {**LINE, "UnitAmount": -100}
    refused = _invoice(xero, Status="AUTHORISED", LineItems=[credit])
    assert refused.status_code == 400 and "cannot be negative" in _messages(refused)
    assert _invoice(xero, Status="DRAFT", LineItems=[credit]).status_code == 200


@pytest.mark.parametrize("code", ["610", "090", "820"])
def test_invoice_lines_may_not_use_bank_or_system_accounts(xero, code):
    refused = _invoice(xero, LineItems=[{**LINE, "AccountCode": code}])
    assert refused.status_code == 400 and f"'{code}' is not a valid code" in _messages(refused)


@pytest.mark.parametrize("params", [
    {"where": "Date >= DateTime(2020, 13, 1)"}, {"where": "Date >= DateTime(2020)"},
    {"where": "Total > 99999999999999999999"}, {"page": str(2**63)}, {"pageSize": str(2**64)},
])
def test_impossible_queries_are_400_not_500(xero, params):
    assert xero.get("Invoices", params=params).status_code == 400


@pytest.mark.parametrize("line, fields", [
    ({**LINE, "UnitAmount": 1e30}, {}), (LINE, {"Date": "/Date(999999999999999999)/"}),
    ({**LINE, "Quantity": 999999999, "UnitAmount": 999999999}, {}),
])
def test_impossible_amounts_and_dates_are_400_not_500(xero, line, fields):
    assert _invoice(xero, LineItems=[line], **fields).status_code == 400


def test_a_payment_of_1e30_is_400(xero):
    invoice = _invoice(xero, Status="AUTHORISED").json()["Invoices"][0]
    assert xero.put("Payments", json={"Payments": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                                    "Account": {"Code": "090"}, "Amount": 1e30}]}).status_code == 400


def test_refused_elements_echo_only_ids_that_are_ids(xero):
    refused = xero.put("Contacts", json={"Contacts": [{"ContactID": "not-an-id", "Name": ""}]})
    element = refused.json()["Elements"][0]
    assert refused.status_code == 400 and "ContactID" not in element and element["ValidationErrors"]


def test_the_uk_organisation_has_xeros_demo_chart_and_tax_rates(xero):
    accounts = {a["Code"]: a for a in xero.get("Accounts").json()["Accounts"]}
    assert len(accounts) > 50 and accounts["400"]["Name"] == "Advertising & Marketing"
    assert accounts["610"]["SystemAccount"] == "DEBTORS"
    rates = {r["TaxType"]: r for r in xero.get("TaxRates").json()["TaxRates"]}
    assert {"EXEMPTOUTPUT", "RROUTPUT", "CAPEXOUTPUT2", "ECZROUTPUTSERVICES"} <= set(rates)
    one = xero.get("TaxRates/EXEMPTOUTPUT").json()["TaxRates"]
    assert one == [rates["EXEMPTOUTPUT"]]
    assert xero.get("TaxRates/NOSUCHRATE").status_code == 404


def test_unimplemented_xero_routes_are_501_and_unknown_routes_404(xero):
    items = xero.get("Items")
    assert items.status_code == 501 and items.json()["Type"] == "NotImplementedException"
    unknown = xero.get("NoSuchCollection/abc")
    assert (unknown.status_code, unknown.text) == (404, "The resource you're looking for cannot be found")
