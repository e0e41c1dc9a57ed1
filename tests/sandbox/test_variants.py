"""The switches for Xero behaviours the documentation does not settle: off by default, each
variant played when switched on, and all off again after a reset."""
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from xero_sandbox.variants import CHOICES

from .conformance import validating_session
from .helpers import XeroApp, authorize, exchange, pkce_pair, refresh

ROOT = Path(__file__).resolve().parents[2]
LINE = {"Description": "Work", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}


def _seconds_of(net_date):
    return int(net_date[6:].split("+")[0]) // 1000


def _modified_since(xero, contact):
    """List contacts modified since the very second the contact was updated in."""
    from datetime import datetime, timezone

    second = datetime.fromtimestamp(_seconds_of(contact["UpdatedDateUTC"]), timezone.utc)
    found = xero.get("Contacts", headers={"If-Modified-Since": second.strftime("%Y-%m-%dT%H:%M:%S")},
                     params={"page": 1}).json()["Contacts"]
    return [c["ContactID"] for c in found]


def test_every_switch_is_off_by_default_and_reset_turns_them_off(sandbox):
    defaults = {name: values[0] for name, values in CHOICES.items()}
    assert {k: v for k, v in requests.get(f"{sandbox.url}/_sandbox/variants").json().items()
            if k != "offline_seconds_left"} == defaults
    sandbox.set_variants(modified_since="after", page_size_cap="100", offline_seconds=60)
    sandbox.reset()
    assert requests.get(f"{sandbox.url}/_sandbox/variants").json() == {**defaults, "offline_seconds_left": 0}


def test_unknown_switches_and_values_are_refused_with_the_choices(sandbox):
    answer = requests.post(f"{sandbox.url}/_sandbox/variants", json={"modified_since": "before"})
    assert answer.status_code == 400 and "at_or_after, after" in answer.json()["error"]
    assert requests.post(f"{sandbox.url}/_sandbox/variants", json={"colour": "blue"}).status_code == 400
    assert requests.post(f"{sandbox.url}/_sandbox/variants", json={"offline_seconds": -1}).status_code == 400


def test_the_command_line_refuses_an_unknown_variant():
    result = subprocess.run([sys.executable, "-m", "xero_sandbox", "--variant", "page_size_cap=7"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "page_size_cap is one of 1000, 100" in result.stderr


def test_if_modified_since_includes_the_second_named_unless_after(sandbox, xero):
    contact = xero.put("Contacts", json={"Name": "Same Second Ltd"}).json()["Contacts"][0]
    assert contact["ContactID"] in _modified_since(xero, contact)
    sandbox.set_variants(modified_since="after")
    assert contact["ContactID"] not in _modified_since(xero, contact)


def _invoices_referenced(xero, reference):
    found = xero.get("Invoices", params={"where": f'Reference=="{reference}"'}).json()["Invoices"]
    return len(found)


@pytest.mark.parametrize("variant, retry_status, copies", [
    ("committed", 200, 1),  # the committed answer is replayed
    ("forget", 200, 2),     # the key was forgotten: the retry writes again
    ("replay", 500, 1),     # the 500 itself is replayed; nothing more is written
])
def test_a_key_after_a_500_that_committed(sandbox, xero, variant, retry_status, copies):
    sandbox.set_variants(idempotency_after_5xx=variant)
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Invoices", "commit_then_500": 1.0}])
    body = {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Jane Whitfeld"}, "Reference": variant,
                          "LineItems": [LINE]}]}
    headers = {"Idempotency-Key": f"after-500-{variant}"}
    assert xero.put("Invoices", json=body, headers=headers).status_code == 500
    sandbox.set_faults()
    assert xero.put("Invoices", json=body, headers=headers).status_code == retry_status
    assert _invoices_referenced(xero, variant) == copies


def test_a_500_before_any_work_is_replayed_only_under_replay(sandbox, xero):
    for variant, retry_status in (("committed", 200), ("replay", 500)):
        sandbox.set_variants(idempotency_after_5xx=variant)
        sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "error_500": 1.0}])
        headers = {"Idempotency-Key": f"early-{variant}"}
        assert xero.put("Contacts", json={"Name": f"Early {variant}"}, headers=headers).status_code == 500
        sandbox.set_faults()
        assert xero.put("Contacts", json={"Name": f"Early {variant}"}, headers=headers).status_code == retry_status


def test_a_missing_scope_is_401_or_403(sandbox):
    reader = XeroApp(sandbox.url, scope="openid offline_access accounting.contacts.read")
    assert reader.get("Invoices").json()["Detail"] == "AuthorizationUnsuccessful"
    sandbox.set_variants(missing_scope="403")
    refused = reader.get("Invoices")
    assert refused.status_code == 403 and refused.json()["Detail"] == "AuthenticationUnsuccessful"
    assert reader.get("Contacts").status_code == 200


@pytest.mark.parametrize("role, status", [("read_only", 403), ("read_only_401", 401)])
def test_a_read_only_user_may_read_but_not_write(sandbox, xero, role, status):
    sandbox.set_variants(user_role=role)
    refused = xero.put("Contacts", json={"Name": "Not Allowed"})
    assert refused.status_code == status and "not permitted" in refused.json()["Detail"]
    assert xero.get("Contacts").status_code == 200


def test_an_offline_organisation_answers_503_text_for_the_spell(sandbox, xero):
    sandbox.set_variants(offline_seconds=600)
    offline = xero.get("Contacts")
    assert (offline.status_code, offline.text) == (503, "The Organisation is offline")
    assert offline.headers["Content-Type"].startswith("text/plain")
    sandbox.advance_clock(601)
    assert xero.get("Contacts").status_code == 200


def test_a_page_size_cap_of_100_says_so_in_pagination(sandbox, xero):
    sandbox.seed(contacts=125)
    sandbox.set_variants(page_size_cap="100")
    body = xero.get("Contacts", params={"page": 1, "pageSize": 1000}).json()
    assert len(body["Contacts"]) == 100
    assert body["pagination"]["pageSize"] == 100 and body["pagination"]["pageCount"] == 2


def _priced(xero, unitdp=None):
    params = {"unitdp": unitdp} if unitdp else None
    line = {"Description": "Tiny", "Quantity": 3, "UnitAmount": 0.123456, "AccountCode": "200"}
    invoice = xero.put("Invoices", params=params, json={"Invoices": [{
        "Type": "ACCREC", "Contact": {"Name": "Jane Whitfeld"}, "LineItems": [line]}]}).json()["Invoices"][0]
    return invoice["LineItems"][0]["UnitAmount"], invoice["LineItems"][0]["LineAmount"]


def test_unit_amounts_round_to_unitdp(sandbox, xero):
    assert _priced(xero) == (0.12, 0.36)
    assert _priced(xero, unitdp=4) == (0.1235, 0.37)
    sandbox.set_variants(unit_rounding="line")
    assert _priced(xero) == (0.12, 0.37)


def test_a_url_past_xeros_length_limit_is_a_plain_404(sandbox, xero):
    ids = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(60)]
    short = xero.get("Contacts", params={"IDs": ",".join(ids[:50])})
    assert short.status_code == 200
    too_long = xero.get("Contacts", params={"IDs": ",".join(ids)})
    assert (too_long.status_code, too_long.text) == (404, "The resource you're looking for cannot be found")


@pytest.mark.parametrize("variant, revoked", [("revokes", True), ("ignored", False)])
def test_revoking_a_refresh_token_already_rotated_out(sandbox, variant, revoked):
    sandbox.set_variants(revoke_rotated=variant)
    app = XeroApp(sandbox.url)
    rotated_out = app.tokens["refresh_token"]
    current = refresh(app.http, sandbox.url, rotated_out).json()["refresh_token"]
    assert app.http.post(f"{sandbox.url}/connect/revocation", data={"token": rotated_out},
                         auth=("sandbox-app", "sandbox-secret")).status_code == 200
    answer = refresh(app.http, sandbox.url, current)
    assert (answer.status_code == 400 and answer.json() == {"error": "invalid_grant"}) is revoked


@pytest.mark.parametrize("refusal", ["invalid_grant", "invalid_request"])
def test_a_code_exchange_with_secret_and_verifier_refused_before_the_code_is_used(sandbox, refusal):
    verifier, challenge = pkce_pair()
    http = validating_session()
    code = authorize(sandbox.url, challenge=challenge)["code"]
    sandbox.set_variants(pkce_with_secret=refusal)
    assert exchange(http, sandbox.url, code, verifier=verifier).json() == {"error": refusal}
    assert exchange(http, sandbox.url, code).status_code == 200  # the secret alone, the code still unused
    sandbox.set_variants(pkce_with_secret="accepted")
    code = authorize(sandbox.url, challenge=challenge)["code"]
    assert exchange(http, sandbox.url, code).json() == {"error": "invalid_grant"}  # by default the verifier is due
