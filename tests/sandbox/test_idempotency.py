"""Idempotency-Key: a repeat replays the first answer and writes nothing."""


def _count(xero):
    return len(xero.get("Contacts", params={"includeArchived": "true"}).json()["Contacts"])


def test_a_repeated_key_replays_the_first_response(xero):
    before = _count(xero)
    headers = {"Idempotency-Key": "create-acme-1"}
    first = xero.put("Contacts", json={"Name": "Acme Once"}, headers=headers)
    again = xero.put("Contacts", json={"Name": "Acme Once"}, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert _count(xero) == before + 1


def test_errors_are_replayed_too(xero):
    headers = {"Idempotency-Key": "dup"}
    first = xero.put("Contacts", json={"Name": "Northwind Traders"}, headers=headers)
    assert first.status_code == 400
    assert xero.put("Contacts", json={"Name": "Northwind Traders"}, headers=headers).json() == first.json()


def test_same_key_with_a_different_request_is_refused(xero):
    xero.put("Contacts", json={"Name": "First Body"}, headers={"Idempotency-Key": "k"})
    other = xero.put("Contacts", json={"Name": "Second Body"}, headers={"Idempotency-Key": "k"})
    assert other.status_code == 400
    assert "is used with a different request" in other.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_keys_over_128_characters_are_refused(xero):
    answer = xero.put("Contacts", json={"Name": "Long Key"}, headers={"Idempotency-Key": "k" * 129})
    assert answer.status_code == 400
    assert xero.put("Contacts", json={"Name": "Long Key"}, headers={"Idempotency-Key": "k" * 128}).status_code == 200


def test_keys_expire_after_six_minutes_of_sandbox_time(sandbox, xero):
    headers = {"Idempotency-Key": "expiring"}
    xero.put("Contacts", json={"Name": "Expiring"}, headers=headers)
    sandbox.advance_clock(6 * 60 + 1)
    again = xero.put("Contacts", json={"Name": "Expiring"}, headers=headers)
    assert again.status_code == 400, "the key is forgotten, so the duplicate name is caught"
