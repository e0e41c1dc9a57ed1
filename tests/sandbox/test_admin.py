"""Admin endpoints: reset, seed, clock, limits, stats, apps; and persistence with --data."""
import threading

import requests

from xero_sandbox.server import SandboxServer

from .helpers import XeroApp


def test_seed_makes_customers_and_non_customers(sandbox, xero):
    # How fast it is belongs to `make bench` (tests/bench/bench_sandbox.py): a wall clock on a
    # shared machine proves nothing.
    result = sandbox.seed(contacts=20000, customers=15000, invoices=20, bank_accounts=1)
    assert (result["contacts"], result["customers"]) == (20000, 15000)
    customers = xero.get("Contacts", params={"where": "IsCustomer==true", "page": 1}).json()
    assert customers["pagination"]["itemCount"] >= 15000
    banks = xero.get("Accounts", params={"where": 'Type=="BANK"'}).json()["Accounts"]
    assert len(banks) == 3
    sample = xero.get("Contacts", params={"page": 7, "pageSize": 3}).json()["Contacts"]
    assert all(c["EmailAddress"] and c["Phones"][0]["PhoneNumber"] for c in sample)
    assert len(xero.get("Contacts", params={"page": 10, "pageSize": 1000}).json()["Contacts"]) == 1000


def test_seed_can_create_another_organisation(sandbox):
    result = sandbox.seed(organisation="Seeded Practice Ltd", contacts=50, customers=10)
    app = XeroApp(sandbox.url, "Seeded Practice Ltd")
    assert app.tenant == result["tenantId"]
    assert len(app.get("Contacts").json()["Contacts"]) == 50


def test_reset_restores_the_demo(sandbox, xero):
    xero.put("Contacts", json={"Name": "Temporary"})
    sandbox.reset()
    names = [c["Name"] for c in requests.get(f"{sandbox.url}/_sandbox/stats").json()["calls"]]
    assert names == []
    app = XeroApp(sandbox.url)
    assert "Temporary" not in [c["Name"] for c in app.get("Contacts").json()["Contacts"]]


def test_clock_moves_forward_only(sandbox):
    before = sandbox.clock()["now_ms"]
    assert sandbox.advance_clock(3600)["now_ms"] >= before + 3600 * 1000
    assert requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance_seconds": -5}).status_code == 400


def test_stats_count_calls_per_endpoint_template(sandbox, xero):
    sandbox.reset_stats()
    contact = xero.contact_named("Oakley Joinery")
    xero.post(f"Contacts/{contact['ContactID']}", json={"Website": "ignored"})
    stats = sandbox.stats()
    assert stats["calls"]["GET /api.xro/2.0/Contacts"] == 1
    assert stats["calls"]["POST /api.xro/2.0/Contacts/{id}"] == 1
    assert stats["total_calls"] == 2 and stats["per_tenant"][xero.tenant] == 2


def test_stats_show_the_calls_being_answered_and_each_writes_idempotency_key(sandbox, xero):
    sandbox.reset_stats()
    sandbox.set_faults([{"endpoint": "GET /api.xro/2.0/Organisation", "timeout": 1.0, "timeout_seconds": 3}])
    held = threading.Thread(target=xero.get, args=("Organisation",))
    held.start()
    sandbox.wait_for_calls_in_flight(1)
    sandbox.wait_for_calls_held(1)
    held.join()
    assert sandbox.stats()["in_flight"] == 0 and sandbox.stats()["held"] == 0
    xero.put("Contacts", json={"Name": "Keyed Ltd"}, headers={"Idempotency-Key": "key-1"})
    xero.put("Contacts", json={"Name": "Keyed Ltd"}, headers={"Idempotency-Key": "key-1"})  # replayed
    xero.post("Contacts", json={"Name": "Unkeyed Ltd"})
    assert sandbox.stats()["writes"] == [
        {"endpoint": "PUT /api.xro/2.0/Contacts", "idempotency_key": "key-1"},
        {"endpoint": "PUT /api.xro/2.0/Contacts", "idempotency_key": "key-1"},
        {"endpoint": "POST /api.xro/2.0/Contacts", "idempotency_key": None}]


def test_stats_include_identity_calls(sandbox):
    sandbox.reset_stats()
    XeroApp(sandbox.url)
    assert sandbox.stats()["calls"]["POST /connect/token"] == 1


def test_more_redirect_uris_can_be_registered(sandbox):
    result = sandbox.add_redirect_uris("http://127.0.0.1:6123/tools/integrations/xero/callback")
    assert "http://127.0.0.1:6123/tools/integrations/xero/callback" in result["redirect_uris"]
    assert requests.post(f"{sandbox.url}/_sandbox/apps", json={"client_id": "nope",
                                                               "redirect_uris": []}).status_code == 400


def test_limits_reject_unknown_settings(sandbox):
    assert requests.post(f"{sandbox.url}/_sandbox/limits", json={"per_hour": 1}).status_code == 400


def test_admin_endpoints_need_the_admin_flag():
    from xero_sandbox import create_app
    client = create_app().test_client()
    assert client.post("/_sandbox/reset").status_code == 404


def test_admin_changes_refuse_simple_cross_site_posts(sandbox):
    for body, content_type in [("", None), ("{}", "text/plain"), ("rules=", "application/x-www-form-urlencoded"),
                               ("--x--", "multipart/form-data; boundary=x")]:
        headers = {"Content-Type": content_type} if content_type else {}
        response = requests.post(f"{sandbox.url}/_sandbox/reset", data=body, headers=headers)
        assert response.status_code == 415, content_type
        assert "Content-Type: application/json" in response.json()["error"]


def test_admin_changes_refuse_a_foreign_origin(sandbox, xero):
    xero.put("Contacts", json={"Name": "Survivor Ltd"})
    for origin in ["https://evil.example", "http://localhost:1", "null"]:
        response = requests.post(f"{sandbox.url}/_sandbox/reset", json={}, headers={"Origin": origin})
        assert response.status_code == 403, origin
    assert XeroApp(sandbox.url).contact_named("Survivor Ltd")
    own = requests.post(f"{sandbox.url}/_sandbox/reset", json={}, headers={"Origin": sandbox.url})
    assert own.status_code == 200


def test_data_file_persists_across_restarts(tmp_path):
    path = str(tmp_path / "xero.db")
    with SandboxServer(path) as first:
        XeroApp(first.url).put("Contacts", json={"Name": "Still Here Ltd"})
    with SandboxServer(path) as second:
        assert XeroApp(second.url).contact_named("Still Here Ltd")
