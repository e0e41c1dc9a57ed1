"""Injected faults: 500, 503, timeouts, connection resets and commit-then-500."""
import pytest
import requests


def _only(kind, endpoint="*", **extra):
    return [{"endpoint": endpoint, kind: 1.0, **extra}]


def test_error_500_and_503(sandbox, xero):
    sandbox.set_faults(_only("error_500", "GET /api.xro/2.0/Organisation"))
    assert xero.get("Organisation").status_code == 500
    assert xero.get("Contacts").status_code == 200
    sandbox.set_faults(_only("error_503"))
    unavailable = xero.get("Organisation")
    assert unavailable.status_code == 503 and "temporarily unavailable" in unavailable.text


def test_timeout_holds_the_request_longer_than_the_client_waits(sandbox, xero):
    sandbox.set_faults(_only("timeout", "GET *", timeout_seconds=1.5))
    with pytest.raises(requests.Timeout):
        xero.get("Organisation", timeout=0.5)


def test_reset_drops_the_connection_without_a_response(sandbox, xero):
    sandbox.set_faults(_only("reset", "POST /connect/token"))
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{sandbox.url}/connect/token", data={"grant_type": "client_credentials"},
                      auth=("sandbox-app", "sandbox-secret"), timeout=5)
    sandbox.set_faults()
    assert xero.get("Organisation").status_code == 200


def test_commit_then_500_writes_and_keeps_the_idempotent_answer(sandbox, xero):
    sandbox.set_faults(_only("commit_then_500", "PUT /api.xro/2.0/Contacts"))
    headers = {"Idempotency-Key": "after-commit"}
    assert xero.put("Contacts", json={"Name": "Committed Anyway"}, headers=headers).status_code == 500
    assert xero.contact_named("Committed Anyway")
    sandbox.set_faults()
    retry = xero.put("Contacts", json={"Name": "Committed Anyway"}, headers=headers)
    assert retry.status_code == 200 and retry.json()["Contacts"][0]["Name"] == "Committed Anyway"


def test_faults_are_deterministic_given_the_seed(sandbox, xero):
    rules = [{"endpoint": "GET /api.xro/2.0/Organisation", "error_500": 0.3, "error_503": 0.3}]

    def run():
        sandbox.set_faults(rules, seed=7)
        return [xero.get("Organisation").status_code for _ in range(12)]
    first = run()
    assert first == run() and {500, 503, 200} <= set(first)


def test_faults_never_touch_admin_endpoints(sandbox):
    sandbox.set_faults(_only("error_500"))
    assert sandbox.stats()["faults_injected"]["error_500"] == 0
