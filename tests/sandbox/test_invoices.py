"""Invoices: arithmetic, numbering, status transitions, archived contacts, filters, paging."""
import pytest

from .conformance import body_of

SALES = {"AccountCode": "200"}


@pytest.fixture
def oakley(xero):
    return xero.contact_named("Oakley Joinery")["ContactID"]


def _created(answer):
    assert answer.status_code == 200, body_of(answer)
    return answer.json()["Invoices"][0]


def test_exclusive_amounts_add_tax_per_line(xero, oakley):
    invoice = _created(xero.new_invoice(oakley, [
        {"Description": "Joinery", "Quantity": 3, "UnitAmount": 33.33, **SALES},
        {"Description": "Nails", "Quantity": 1, "UnitAmount": 0.05, **SALES}]))
    assert [line["TaxAmount"] for line in invoice["LineItems"]] == [20.0, 0.01]
    assert (invoice["SubTotal"], invoice["TotalTax"], invoice["Total"]) == (100.04, 20.01, 120.05)
    assert invoice["AmountDue"] == 120.05 and invoice["Status"] == "DRAFT"


def test_inclusive_amounts_take_tax_out_of_the_line(xero, oakley):
    invoice = _created(xero.new_invoice(oakley, [{"Description": "Table", "Quantity": 1,
                                                  "UnitAmount": 100, **SALES}], amount_types="Inclusive"))
    assert invoice["LineItems"][0]["TaxAmount"] == 16.67
    assert (invoice["SubTotal"], invoice["TotalTax"], invoice["Total"]) == (83.33, 16.67, 100.0)


def test_no_tax_and_discounts(xero, oakley):
    invoice = _created(xero.new_invoice(oakley, [{"Description": "Chairs", "Quantity": 2,
                                                  "UnitAmount": 100, "DiscountRate": 10, **SALES}],
                                        amount_types="NoTax"))
    assert invoice["LineItems"][0]["TaxType"] == "NONE"
    assert (invoice["SubTotal"], invoice["TotalTax"], invoice["Total"]) == (180.0, 0.0, 180.0)


def test_numbers_come_from_the_sequence_and_must_be_unique(xero, oakley):
    line = [{"Description": "Work", "Quantity": 1, "UnitAmount": 10, **SALES}]
    numbers = [_created(xero.new_invoice(oakley, line))["InvoiceNumber"] for _ in range(2)]
    existing = xero.get("Invoices", params={"where": 'Type=="ACCREC"'}).json()["Invoices"]
    assert numbers == [f"INV-{len(existing) - 1:04d}", f"INV-{len(existing):04d}"]
    duplicate = xero.new_invoice(oakley, line, InvoiceNumber=numbers[0])
    assert duplicate.status_code == 400
    assert duplicate.json()["Elements"][0]["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]


def test_status_transitions(xero, oakley):
    line = [{"Description": "Work", "Quantity": 1, "UnitAmount": 10, **SALES}]
    invoice = _created(xero.new_invoice(oakley, line))
    path = f"Invoices/{invoice['InvoiceID']}"
    assert _created(xero.post(path, json={"Status": "SUBMITTED"}))["Status"] == "SUBMITTED"
    authorised = _created(xero.post(path, json={"Status": "AUTHORISED"}))
    assert authorised["Status"] == "AUTHORISED" and authorised["DueDate"]
    back = xero.post(path, json={"Status": "DRAFT"})
    assert back.status_code == 400 and "not of valid status" in body_of(back)
    assert _created(xero.post(path, json={"Status": "VOIDED"}))["Status"] == "VOIDED"
    draft = _created(xero.new_invoice(oakley, line))
    assert _created(xero.post(f"Invoices/{draft['InvoiceID']}", json={"Status": "DELETED"}))["Status"] == "DELETED"


def test_archived_contacts_cannot_take_new_invoices(xero, oakley):
    xero.post(f"Contacts/{oakley}", json={"ContactStatus": "ARCHIVED"})
    answer = xero.new_invoice(oakley, [{"Description": "Work", "Quantity": 1, "UnitAmount": 10, **SALES}])
    assert answer.status_code == 400 and "archived" in answer.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_a_new_contact_name_on_an_invoice_creates_the_contact(xero):
    answer = xero.put("Invoices", json={"Type": "ACCREC", "Contact": {"Name": "Walk-in Customer"},
                                        "LineItems": [{"Description": "Tea", "Quantity": 1, "UnitAmount": 2.5}]})
    assert _created(answer)["Contact"]["Name"] == "Walk-in Customer"
    assert xero.contact_named("Walk-in Customer")["IsCustomer"] is True


def test_filters_and_line_items_only_when_paged(xero, oakley):
    line = [{"Description": "Work", "Quantity": 1, "UnitAmount": 10, **SALES}]
    mine = _created(xero.new_invoice(oakley, line, Reference="REF-77"))
    unpaged = xero.get("Invoices", params={"ContactIDs": oakley}).json()["Invoices"]
    assert [i["InvoiceID"] for i in unpaged] == [mine["InvoiceID"]] and "LineItems" not in unpaged[0]
    paged = xero.get("Invoices", params={"ContactIDs": oakley, "page": 1}).json()["Invoices"]
    assert paged[0]["LineItems"][0]["Description"] == "Work"
    assert len(xero.get("Invoices", params={"Statuses": "DRAFT"}).json()["Invoices"]) == 1
    assert xero.get("Invoices", params={"searchTerm": "ref-77"}).json()["Invoices"][0]["InvoiceID"] == mine["InvoiceID"]
    by_number = xero.get(f"Invoices/{mine['InvoiceNumber']}").json()["Invoices"][0]
    assert by_number["InvoiceID"] == mine["InvoiceID"]
    where = xero.get("Invoices", params={"where": f'Contact.ContactID==Guid("{oakley}") AND Status=="DRAFT"'})
    assert [i["InvoiceID"] for i in where.json()["Invoices"]] == [mine["InvoiceID"]]
    dated = xero.get("Invoices", params={"where": "Date>=DateTime(2000,01,01)", "page": 1}).json()
    assert dated["pagination"]["itemCount"] == len(xero.get("Invoices").json()["Invoices"])


def test_credit_notes_exist(xero, oakley):
    answer = xero.put("CreditNotes", json={"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": oakley},
        "LineItems": [{"Description": "Refund", "Quantity": 1, "UnitAmount": 12, **SALES}]}]})
    assert answer.status_code == 200, body_of(answer)
    note = answer.json()["CreditNotes"][0]
    assert note["CreditNoteNumber"] == "CN-0001" and note["Total"] == 14.4
    assert xero.get(f"CreditNotes/{note['CreditNoteID']}").status_code == 200


def test_settings_endpoints(xero):
    organisation = xero.get("Organisation").json()["Organisations"][0]
    assert organisation["ShortCode"] == "!UKdem" and organisation["BaseCurrency"] == "GBP"
    accounts = xero.get("Accounts", params={"where": 'Type=="BANK"'}).json()["Accounts"]
    assert [a["Code"] for a in accounts] == ["090", "091"]
    rates = {r["TaxType"]: r["EffectiveRate"] for r in xero.get("TaxRates").json()["TaxRates"]}
    assert rates["OUTPUT2"] == 20 and rates["ZERORATEDOUTPUT"] == 0 and rates["NONE"] == 0
