"""Bad input gets Xero's status and error shape, never a 500 or a traceback."""
import requests

from .helpers import CLIENT, XeroApp


def test_missing_or_unknown_tenant_is_403_authentication_unsuccessful(xero):
    no_tenant = xero.http.get(f"{xero.base_url}/api.xro/2.0/Contacts", headers=xero.auth())
    assert no_tenant.status_code == 403 and no_tenant.json()["Detail"] == "AuthenticationUnsuccessful"
    other = xero.get("Contacts", headers={"xero-tenant-id": "00000000-0000-0000-0000-000000000000"})
    assert other.status_code == 403


def test_a_tenant_the_token_is_not_connected_to_is_403(sandbox, xero):
    nz = XeroApp(sandbox.url, "Demo Company (NZ)")
    assert xero.get("Contacts", headers={"xero-tenant-id": nz.tenant}).status_code == 200, \
        "tokens belong to the user, who connected both organisations to this app"
    custom = requests.post(f"{sandbox.url}/connect/token", data={"grant_type": "client_credentials"},
                           auth=CLIENT).json()["access_token"]
    answer = xero.get("Contacts", headers={"Authorization": f"Bearer {custom}",
                                           "xero-tenant-id": nz.tenant})
    assert answer.status_code == 403


def test_missing_or_garbage_token_is_401(sandbox, xero):
    anonymous = requests.get(f"{sandbox.url}/api.xro/2.0/Contacts", headers={"xero-tenant-id": xero.tenant})
    assert anonymous.status_code == 401 and anonymous.json()["Detail"] == "AuthorizationUnsuccessful"
    garbage = xero.get("Contacts", headers={"Authorization": "Bearer nonsense"})
    assert garbage.status_code == 401


def test_malformed_json_is_post_data_invalid(xero):
    answer = xero.put("Contacts", data="{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["Type"] == "PostDataInvalidException"
    assert answer.json()["ErrorNumber"] == 14
    empty = xero.put("Contacts", data="", headers={"Content-Type": "application/json"})
    assert empty.status_code == 400


def test_wrong_types_are_post_data_invalid_and_unknown_fields_are_ignored(xero):
    wrong = xero.put("Contacts", json={"Contacts": [{"Name": 12}]})
    assert wrong.status_code == 400 and wrong.json()["Type"] == "PostDataInvalidException"
    lines = xero.put("Invoices", json={"Type": "ACCREC", "Contact": {"Name": "X"}, "LineItems": "no"})
    assert lines.status_code == 400
    unknown = xero.put("Contacts", json={"Contacts": [{"Name": "Extra Fields", "Favourite": "blue"}]})
    assert unknown.status_code == 200 and "Favourite" not in unknown.json()["Contacts"][0]


def test_oversized_body_is_413_not_500(xero):
    answer = xero.put("Contacts", data=b'{"Name": "' + b"x" * 3_600_000 + b'"}',
                      headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


def test_unknown_paths_and_methods(xero):
    assert xero.get("NoSuchThing").text == "The resource you're looking for cannot be found"
    assert xero.call("DELETE", "Contacts").status_code == 405


def test_missing_scope_is_401(sandbox):
    reader = XeroApp(sandbox.url, scope="openid offline_access accounting.contacts.read")
    assert reader.get("Contacts").status_code == 200
    assert reader.put("Contacts", json={"Name": "Nope"}).status_code == 401
    assert reader.get("Invoices").status_code == 401


def test_token_endpoint_errors(sandbox):
    unsupported = requests.post(f"{sandbox.url}/connect/token", data={"grant_type": "password"},
                                auth=("sandbox-app", "sandbox-secret"))
    assert unsupported.status_code == 400 and unsupported.json() == {"error": "unsupported_grant_type"}
    bad_basic = requests.post(f"{sandbox.url}/connect/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": "Basic !!!"})
    assert bad_basic.status_code == 401 and bad_basic.json() == {"error": "invalid_client"}
