"""Contacts: CRUD, Xero's filters and paging, unique names, IsCustomer, archiving."""
from datetime import datetime, timedelta, timezone

from .conformance import body_of


def test_demo_company_has_the_practice_apps_counterparts(xero):
    harbour = xero.contact_named("Harbour View Café Limited")
    assert harbour["EmailAddress"] == "accounts@harbourviewcafe.co.uk" and harbour["IsCustomer"]
    assert {"PhoneType": "DEFAULT", "PhoneNumber": "020 7946 0011"} in harbour["Phones"]
    jane = xero.contact_named("Jane Whitfeld")
    assert (jane["FirstName"], jane["LastName"], jane["IsCustomer"]) == ("Jane", "Whitfeld", True)
    assert xero.contact_named("Northwind Traders")["TaxNumber"] == "GB123456789"
    assert xero.contact_named("Oakley Joinery")["IsCustomer"] is False
    assert xero.contact_named("Office Supplies Direct")["IsSupplier"] is True


def test_create_get_and_update_one_contact(xero):
    created = xero.put("Contacts", json={"Contacts": [{"Name": "Acme Widgets", "EmailAddress": "a@acme.test"}]})
    assert created.status_code == 200, body_of(created)
    contact = created.json()["Contacts"][0]
    assert contact["UpdatedDateUTC"].startswith("/Date(") and contact["UpdatedDateUTC"].endswith("+0000)/")
    assert contact["IsCustomer"] is False and contact["ContactStatus"] == "ACTIVE"
    updated = xero.post(f"Contacts/{contact['ContactID']}", json={"Contacts": [{"EmailAddress": "b@acme.test"}]})
    assert updated.json()["Contacts"][0]["EmailAddress"] == "b@acme.test"
    fetched = xero.get(f"Contacts/{contact['ContactID']}").json()["Contacts"][0]
    assert fetched["Name"] == "Acme Widgets" and "Balances" in fetched


def test_duplicate_active_name_is_a_validation_exception_with_xeros_text(xero):
    answer = xero.put("Contacts", json={"Contacts": [{"Name": "patel and sons ltd"}]})
    assert answer.status_code == 400
    body = answer.json()
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    element = body["Elements"][0]
    assert element["Name"] == "patel and sons ltd"
    assert element["ValidationErrors"] == [{"Message": (
        "The contact name patel and sons ltd is already assigned to another contact. "
        "The contact name must be unique across all active contacts.")}]


def test_archived_contacts_free_their_name_and_are_hidden_unless_asked(xero):
    parking = xero.contact_named("City Council Parking")
    xero.post(f"Contacts/{parking['ContactID']}", json={"ContactStatus": "ARCHIVED"})
    names = [c["Name"] for c in xero.get("Contacts").json()["Contacts"]]
    assert "City Council Parking" not in names
    assert xero.put("Contacts", json={"Contacts": [{"Name": "City Council Parking"}]}).status_code == 200
    everything = xero.get("Contacts", params={"includeArchived": "true"}).json()["Contacts"]
    assert [c["Name"] for c in everything].count("City Council Parking") == 2


def test_is_customer_cannot_be_set_and_follows_a_sales_invoice(xero):
    contact = xero.put("Contacts", json={"Name": "Wannabe Customer", "IsCustomer": True}).json()["Contacts"][0]
    assert contact["IsCustomer"] is False
    before = contact["UpdatedDateUTC"]
    xero.new_invoice(contact["ContactID"], [{"Description": "x", "Quantity": 1, "UnitAmount": 10,
                                             "AccountCode": "200"}])
    after = xero.get(f"Contacts/{contact['ContactID']}").json()["Contacts"][0]
    assert after["IsCustomer"] is True and after["UpdatedDateUTC"] == before


def test_batch_with_summarize_errors_false_reports_each_element(xero):
    answer = xero.post("Contacts", params={"summarizeErrors": "false"}, json={"Contacts": [
        {"Name": "Fresh One"}, {"Name": "Riverside Yoga Studio"}, {"Name": "Bad Email", "EmailAddress": "nope"}]})
    assert answer.status_code == 200
    statuses = [(c["Name"], c["StatusAttributeString"]) for c in answer.json()["Contacts"]]
    assert statuses == [("Fresh One", "OK"), ("Riverside Yoga Studio", "ERROR"), ("Bad Email", "ERROR")]
    assert answer.json()["Contacts"][2]["ValidationErrors"] == [{"Message": "Email address must be valid."}]


def test_where_forms_search_ids_and_order(xero):
    def names(**params):
        return [c["Name"] for c in xero.get("Contacts", params=params).json()["Contacts"]]
    assert names(where='EmailAddress=="INFO@patelandsons.co.uk"') == ["Patel and Sons Ltd"]
    assert names(where='Name.Contains("yoga")') == ["Riverside Yoga Studio"]
    assert names(where='Name.StartsWith("Kestrel") OR Name.EndsWith("Joinery")') == [
        "Kestrel Engineering Ltd", "Oakley Joinery"]
    assert "Oakley Joinery" not in names(where="IsCustomer==true")
    assert names(where='ContactStatus=="ACTIVE" AND IsSupplier==true') == ["Office Supplies Direct"]
    assert names(searchTerm="whitf") == ["Jane Whitfeld"]
    ids = [xero.contact_named(n)["ContactID"] for n in ("Oakley Joinery", "Northwind Traders")]
    assert names(IDs=",".join(ids), order="Name DESC") == ["Oakley Joinery", "Northwind Traders"]
    assert xero.get("Contacts", params={"where": 'Name=="unterminated'}).json()["Type"] == "QueryParseException"


def test_paging_and_page_size_up_to_1000(sandbox, xero):
    sandbox.seed(contacts=2500, customers=2000)
    first = xero.get("Contacts", params={"page": 1, "pageSize": 5000}).json()
    assert first["pagination"]["pageSize"] == 1000 and len(first["Contacts"]) == 1000
    total = first["pagination"]["itemCount"]
    last = xero.get("Contacts", params={"page": first["pagination"]["pageCount"], "pageSize": 1000}).json()
    assert len(last["Contacts"]) == total - 1000 * (first["pagination"]["pageCount"] - 1)
    default = xero.get("Contacts", params={"page": 2}).json()
    assert len(default["Contacts"]) == 100 and "Balances" in default["Contacts"][0]
    unpaged = xero.get("Contacts").json()
    assert "pagination" not in unpaged and len(unpaged["Contacts"]) == total


def test_if_modified_since_returns_only_recent_changes(sandbox, xero):
    sandbox.advance_clock(120)
    since = datetime.fromisoformat(sandbox.clock()["now"].replace("Z", "+00:00")) - timedelta(seconds=1)
    xero.put("Contacts", json={"Name": "Brand New Ltd"})
    recent = xero.get("Contacts", headers={"If-Modified-Since": since.isoformat()}).json()["Contacts"]
    assert [c["Name"] for c in recent] == ["Brand New Ltd"]
    later = datetime.now(timezone.utc) + timedelta(days=2)
    assert xero.get("Contacts", headers={"If-Modified-Since": later.isoformat()}).json()["Contacts"] == []


def test_summary_only_and_contact_number_lookup(xero):
    xero.put("Contacts", json={"Name": "Numbered", "ContactNumber": "C-42"})
    assert xero.get("Contacts/C-42").json()["Contacts"][0]["Name"] == "Numbered"
    summary = xero.get("Contacts", params={"summaryOnly": "true", "page": 1}).json()["Contacts"][0]
    assert "Balances" not in summary


def test_unknown_contact_is_a_plain_text_404(xero):
    answer = xero.get("Contacts/6a0b2a54-9d7f-4c59-9a7e-5d1df0b6a111")
    assert answer.status_code == 404 and answer.text == "The resource you're looking for cannot be found"
