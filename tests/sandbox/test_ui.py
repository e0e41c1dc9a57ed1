"""The web UI a person follows: log in, contacts, the deep link, approve, add payment, disconnect."""
import re

from .conformance import validating_session
from .helpers import log_in


def _browser(sandbox):
    browser = validating_session()
    assert log_in(browser, sandbox.url).status_code == 200
    return browser


def test_login_refuses_a_wrong_password_and_pages_need_a_login(sandbox):
    browser = validating_session()
    assert browser.get(f"{sandbox.url}/Contacts").url.startswith(f"{sandbox.url}/login")
    wrong = browser.post(f"{sandbox.url}/login", data={"email": "xero@example.com", "password": "no"})
    assert wrong.status_code == 401 and "incorrect" in wrong.text


def test_contacts_list_search_and_switching_organisation(sandbox):
    browser = _browser(sandbox)
    page = browser.get(f"{sandbox.url}/Contacts")
    assert "Harbour View Café Limited" in page.text and "Ridgeway University" not in page.text
    assert "Patel and Sons Ltd" in browser.get(f"{sandbox.url}/Contacts", params={"q": "patel"}).text
    nz = re.search(r'<option value="([^"]+)"\s*>Demo Company \(NZ\)', page.text).group(1)
    browser.post(f"{sandbox.url}/switch-organisation", data={"tenant_id": nz})
    assert "Ridgeway University" in browser.get(f"{sandbox.url}/Contacts").text


def test_deep_link_opens_the_contact_page_in_the_right_organisation(sandbox, xero):
    contact = xero.contact_named("Jane Whitfeld")
    browser = validating_session()
    page = browser.get(f"{sandbox.url}/organisationlogin/default.aspx", params={
        "shortcode": "!UKdem", "redirecturl": f"/Contacts/View/{contact['ContactID']}"})
    assert "/login" in page.url
    page = browser.post(page.url.split("?")[0], data={
        "email": "xero@example.com", "password": "xero",
        "next": re.search(r'name="next" value="([^"]+)"', page.text).group(1).replace("&amp;", "&")})
    assert page.url.endswith(f"/Contacts/View/{contact['ContactID']}")
    assert "Jane Whitfeld" in page.text


def test_edit_archive_and_merge_contacts(sandbox, xero):
    browser = _browser(sandbox)
    oakley = xero.contact_named("Oakley Joinery")["ContactID"]
    page = browser.post(f"{sandbox.url}/Contacts/Edit/{oakley}", data={
        "Name": "Oakley Joinery", "EmailAddress": "office@oakleyjoinery.co.uk", "Phone": "01234 567890"})
    assert "Contact saved" in page.text
    assert xero.contact_named("Oakley Joinery")["EmailAddress"] == "office@oakleyjoinery.co.uk"
    duplicate = browser.post(f"{sandbox.url}/Contacts/Edit/{oakley}", data={"Name": "Northwind Traders"})
    assert "already assigned to another contact" in duplicate.text
    parking = xero.contact_named("City Council Parking")["ContactID"]
    browser.post(f"{sandbox.url}/Contacts/Archive/{parking}")
    assert xero.contact_named("City Council Parking")["ContactStatus"] == "ARCHIVED"
    yoga = xero.contact_named("Riverside Yoga Studio")["ContactID"]
    merged = browser.post(f"{sandbox.url}/Contacts/Merge/{yoga}", data={"merge_into": "Kestrel Engineering Ltd"})
    assert "merged into Kestrel Engineering Ltd" in merged.text
    gone = xero.contact_named("Riverside Yoga Studio")
    assert gone["ContactStatus"] == "ARCHIVED"
    assert xero.get(f"Contacts/{yoga}").json()["Contacts"][0]["MergedToContactID"] == \
        xero.contact_named("Kestrel Engineering Ltd")["ContactID"]
    kestrel = xero.contact_named("Kestrel Engineering Ltd")["ContactID"]
    assert len(xero.get("Invoices", params={"ContactIDs": kestrel}).json()["Invoices"]) == 2


def test_approve_and_add_payment(sandbox, xero):
    contact = xero.contact_named("Oakley Joinery")["ContactID"]
    invoice = xero.new_invoice(contact, [{"Description": "Shelves", "Quantity": 1, "UnitAmount": 50,
                                          "AccountCode": "200"}]).json()["Invoices"][0]
    browser = _browser(sandbox)
    view = f"{sandbox.url}/AccountsReceivable/View.aspx?InvoiceID={invoice['InvoiceID']}"
    assert "Approve" in browser.get(view).text
    approved = browser.post(f"{sandbox.url}/AccountsReceivable/Approve?InvoiceID={invoice['InvoiceID']}")
    assert "Invoice approved" in approved.text and "Add payment" in approved.text
    bank = re.search(r'<option value="([^"]+)">090', approved.text).group(1)
    paid = browser.post(f"{sandbox.url}/AccountsReceivable/Pay?InvoiceID={invoice['InvoiceID']}",
                        data={"amount": "60.00", "date": "2026-02-01", "account": bank})
    assert "Payment recorded" in paid.text
    assert xero.get(f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]["Status"] == "PAID"
    listing = browser.get(f"{sandbox.url}/AccountsReceivable/Search.aspx", params={"status": "PAID"})
    assert invoice["InvoiceNumber"] in listing.text


def test_disconnect_in_connected_apps_cuts_the_app_off(sandbox, xero):
    browser = _browser(sandbox)
    page = browser.get(f"{sandbox.url}/Settings/ConnectedApps")
    assert "BrightManager" in page.text
    action = re.search(r'action="(/Settings/ConnectedApps/[^"]+/Disconnect)"', page.text).group(1)
    assert "has been disconnected" in browser.post(f"{sandbox.url}{action}").text
    assert xero.get("Contacts").status_code == 403
