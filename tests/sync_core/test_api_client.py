"""How the Xero client speaks HTTP (plugins/xero/api.py ``XeroClient``): headers, retries, refreshes,
rate limits and Xero's errors. Xero is a script of answers served through a requests transport
adapter, so no request leaves the process; the sandbox-backed tests cover the same client end to end."""
import base64
import json
import random
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from requests.adapters import BaseAdapter

from plugins.xero import access, api, pacing
from plugins.xero.api import XeroClient

BASE = "http://xero.test"


class Script(BaseAdapter):
    """Answers each request with the next of ``answers``: (status, body, headers), or an exception to raise."""

    def __init__(self, *answers):
        super().__init__()
        self.answers, self.requests, self.timeouts = list(answers), [], []

    def send(self, request, **kwargs):
        self.requests.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = (*answer, {})[:3]
        made = requests.Response()
        made.status_code, made.request, made.url = status, request, request.url
        made._content = (body if isinstance(body, str) else json.dumps(body)).encode()
        made.headers.update(headers)
        return made

    def close(self):
        pass


class Tokens:
    def __init__(self, granted=None):
        self.token, self.refreshes, self.granted = "t0", 0, granted

    def access_token(self):
        return self.token

    def refresh(self):
        self.refreshes += 1
        self.token = f"t{self.refreshes}"

    def scopes(self):
        return self.granted


class Recorder:
    def __init__(self):
        self.slept, self.before, self.answers, self.headers = [], 0, [], []

    def sleep(self, seconds):
        self.slept.append(seconds)

    def before_call(self):
        self.before += 1

    def on_response(self, status, headers):
        self.answers.append(status)
        self.headers.append(dict(headers))


def client(*answers, tenant_id="tenant-1", retries=2, granted=None, **settings):
    seen = Recorder()
    xero = XeroClient("id", "secret", base_url=BASE, tokens=Tokens(granted), tenant_id=tenant_id, retries=retries,
                      backoff=1.0, sleep=seen.sleep, before_call=seen.before_call, on_response=seen.on_response,
                      **settings)
    script = Script(*answers)
    xero.http.mount("http://", script)
    return xero, script, seen


def test_a_get_carries_the_token_the_organisation_and_if_modified_since():
    xero, script, seen = client((200, {"Contacts": []}))
    since = datetime(2026, 11, 20, 10, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert xero.get("Contacts", {"page": 1}, modified_since=since) == {"Contacts": []}
    sent = script.requests[0]
    assert (sent.method, sent.url) == ("GET", f"{BASE}/api.xro/2.0/Contacts?page=1")
    assert sent.headers["Authorization"] == "Bearer t0" and sent.headers["xero-tenant-id"] == "tenant-1"
    assert sent.headers["Accept"] == "application/json" and "Idempotency-Key" not in sent.headers
    assert sent.headers["If-Modified-Since"] == "2026-11-20T09:00:05"
    assert (xero.calls, seen.before, seen.answers) == (1, 1, [200])
    assert script.timeouts == [30]


def test_by_default_a_read_is_tried_five_times_a_second_apart_doubling():
    seen = Recorder()
    xero = XeroClient("id", "secret", base_url=BASE, tokens=Tokens(), sleep=seen.sleep)
    xero.http.mount("http://", Script(*[requests.ConnectionError()] * 5))
    random.seed(7)
    draws = [random.random() for _ in range(4)]
    random.seed(7)
    with pytest.raises(api.XeroUnavailable):
        xero.get("Contacts")
    assert seen.slept == [2 ** attempt * (0.5 + draw) for attempt, draw in enumerate(draws)]


def test_the_client_paces_with_its_own_sleep():
    xero, _, seen = client((200, {}, {"X-MinLimit-Remaining": "1"}))
    xero.get("Contacts")
    assert len(seen.slept) == 1 and 60 < seen.slept[0] <= 61


def test_every_answer_is_reported_with_its_headers():
    xero, _, seen = client((200, {}, {"X-DayLimit-Remaining": "4999"}))
    xero.get("Contacts")
    assert seen.headers[0]["X-DayLimit-Remaining"] == "4999"


def test_a_refused_request_is_not_taken_for_an_answer():
    xero, _, _ = client((400, {"Type": "ValidationException", "Elements": [{"ValidationErrors": [{"Message": "No."}]}]}))
    with pytest.raises(api.XeroValidationError, match="No."):
        xero.write("PUT", "Contacts", "Contacts", [{}], "k")


def test_a_deletion_is_retried_after_a_dropped_connection():
    xero, script, _ = client(requests.ConnectionError(), (204, ""))
    xero.delete_connection("conn-1")
    assert [r.method for r in script.requests] == ["DELETE", "DELETE"]
    assert "xero-tenant-id" not in script.requests[1].headers

def test_a_write_carries_its_key_and_asks_for_each_records_answer():
    xero, script, _ = client((200, {"Contacts": [{"ContactID": "c1"}]}), (200, ["odd"]), (200, {"Other": 1}))
    assert xero.write("PUT", "Contacts", "Contacts", [{"Name": "A"}], "key-1") == [{"ContactID": "c1"}]
    sent = script.requests[0]
    assert (sent.method, sent.url) == ("PUT", f"{BASE}/api.xro/2.0/Contacts?summarizeErrors=false")
    assert sent.headers["Idempotency-Key"] == "key-1" and json.loads(sent.body) == {"Contacts": [{"Name": "A"}]}
    assert xero.write("POST", "Contacts", "Contacts", [], "key-2") == []
    assert xero.write("POST", "Contacts", "Contacts", [], "key-3") == []


def test_identity_calls_carry_no_organisation():
    xero, script, _ = client((200, [{"tenantId": "tenant-1"}]), (404, "gone"))
    assert xero.connections() == [{"tenantId": "tenant-1"}]
    assert script.requests[0].url == f"{BASE}/connections" and "xero-tenant-id" not in script.requests[0].headers
    xero.delete_connection("conn-1")  # already gone: nothing to do
    assert (script.requests[1].method, script.requests[1].url) == ("DELETE", f"{BASE}/connections/conn-1")


def test_without_an_organisation_no_tenant_header_is_sent():
    xero, script, _ = client((200, {}), tenant_id=None)
    xero.get("Organisation")
    assert "xero-tenant-id" not in script.requests[0].headers


def test_a_get_is_retried_after_dropped_connections_then_gives_up():
    xero, script, seen = client(requests.ConnectionError(), requests.Timeout(), (200, {"ok": 1}))
    assert xero.get("Contacts") == {"ok": 1}
    assert len(seen.slept) == 2 and 0.5 <= seen.slept[0] <= 1.5 and 1.0 <= seen.slept[1] <= 3.0
    assert xero.calls == 3 and seen.before == 3
    xero, script, seen = client(*[requests.ConnectionError()] * 3)
    with pytest.raises(api.XeroUnavailable, match=r"could not be reached \(ConnectionError\)"):
        xero.get("Contacts")
    assert len(script.requests) == 3


def test_a_write_without_a_key_is_never_retried():
    xero, script, seen = client(requests.ConnectionError(), (500, "boom"))
    with pytest.raises(api.XeroUnavailable):
        xero._send("POST", f"{BASE}/api.xro/2.0/Contacts")
    assert seen.slept == []
    with pytest.raises(api.XeroUnavailable, match=r"\(500\)"):
        xero._send("POST", f"{BASE}/api.xro/2.0/Contacts")
    assert seen.slept == []


def test_a_write_with_a_key_is_retried_after_a_dropped_connection_but_not_after_a_server_error():
    xero, script, seen = client(requests.ConnectionError(), (502, "bad gateway"))
    with pytest.raises(api.WriteFailed, match=r"Xero answered with an error \(502\) while saving.") as caught:
        xero.write("PUT", "Contacts", "Contacts", [], "key-1")
    assert caught.value.status == 502 and len(seen.slept) == 1
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["key-1", "key-1"]


def test_server_errors_on_reads_are_retried_then_reported():
    xero, script, seen = client((500, "x"), (504, "x"), (200, {"ok": 1}))
    assert xero.get("Contacts") == {"ok": 1} and len(seen.slept) == 2
    xero, script, seen = client((500, "x"), (502, "x"), (500, "x"))
    with pytest.raises(api.XeroUnavailable, match=r"\(500\)"):
        xero.get("Contacts")
    assert len(script.requests) == 3
    xero, script, seen = client((503, "x"), (503, "x"), (503, "x", {"Retry-After": "42"}))
    with pytest.raises(api.XeroOffline) as caught:
        xero.get("Contacts")
    assert caught.value.retry_after == 42
    xero, script, seen = client((503, "x"), (503, "x"), (503, "x"))
    with pytest.raises(api.XeroOffline) as caught:
        xero.get("Contacts")
    assert caught.value.retry_after == 300


def test_an_offline_organisation_stops_the_run_at_once():
    xero, script, seen = client((503, "The Organisation is OFFLINE", {"Retry-After": "90"}))
    with pytest.raises(api.XeroOffline) as caught:
        xero.get("Contacts")
    assert caught.value.retry_after == 90 and seen.slept == []
    xero, _, _ = client((503, "currently offline for maintenance"))
    with pytest.raises(api.XeroOffline) as caught:
        xero.get("Contacts")
    assert caught.value.retry_after == api.OFFLINE_PAUSE == 300


def test_an_expired_token_is_refreshed_once():
    xero, script, _ = client((401, "TokenExpired"), (200, {"ok": 1}))
    assert xero.get("Contacts") == {"ok": 1}
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer t0", "Bearer t1"]
    xero, script, _ = client((401, "TokenExpired"), (401, "TokenExpired"), (200, {}))
    with pytest.raises(api.XeroAuthError, match=r"no longer accepts this connection's authorisation \(TokenExpired\)."):
        xero.get("Contacts")
    assert xero.tokens.refreshes == 1 and len(script.requests) == 2
    xero, _, _ = client((401, {"Detail": ""}), (401, {"Detail": ""}))
    with pytest.raises(api.XeroAuthError) as caught:
        xero.get("Contacts")
    assert (str(caught.value), caught.value.status) == ("Xero no longer accepts this connection's authorisation.", 401)


def test_refusals_name_their_cause():
    xero, _, _ = client((403, {"Detail": "AuthorizationUnsuccessful"}), granted="openid offline_access")
    with pytest.raises(api.AccessRefused) as caught:
        xero.get("Contacts")
    assert str(caught.value) == access.missing_scope_message("GET", f"{BASE}/api.xro/2.0/Contacts")
    assert caught.value.status == 403 and str(caught.value).startswith("Xero did not let BrightManager read")
    xero, _, _ = client((403, {"Detail": "The user role is not permitted"}))
    with pytest.raises(api.AccessRefused) as caught:
        xero.write("PUT", "Contacts", "Contacts", [], "k")
    assert str(caught.value) == access.role_message("PUT", f"{BASE}/api.xro/2.0/Contacts?summarizeErrors=false",
                                                    "The user role is not permitted")
    assert caught.value.status == 403 and "change" in str(caught.value)
    xero, _, _ = client((403, {"Detail": "AuthenticationUnsuccessful"}), (200, [{"tenantId": "other"}]))
    with pytest.raises(api.TenantNotConnected) as caught:
        xero.get("Contacts")
    assert (str(caught.value), caught.value.status) == (access.TENANT_MESSAGE, 403)
    xero, _, _ = client((403, {"Detail": "AuthenticationUnsuccessful"}), (200, [{"tenantId": "tenant-1"}]))
    with pytest.raises(api.AccessRefused, match="AuthenticationUnsuccessful"):
        xero.get("Contacts")
    xero, script, _ = client((403, "Forbidden"))
    with pytest.raises(api.AccessRefused) as caught:
        xero.get("Contacts")
    assert caught.value.status == 403 and len(script.requests) == 1


def test_a_rate_limit_without_retry_after_waits_a_minute_and_says_so(caplog):
    xero, _, seen = client((429, ""), (200, {}))
    with caplog.at_level("INFO", logger="plugins.xero.api"):
        xero.get("Contacts")
    assert len(seen.slept) == 1 and 60 <= seen.slept[0] <= 66
    assert caplog.messages == [f"Xero rate limit (minute): waiting {seen.slept[0]:.1f} s"]


def test_a_minute_rate_limit_is_waited_out_and_does_not_count_as_a_failure():
    xero, script, seen = client((429, "", {"Retry-After": "20", "X-Rate-Limit-Problem": "Minute"}),
                                (429, "", {"Retry-After": "20"}), (429, "", {"Retry-After": "20"}), (200, {"ok": 1}),
                                retries=0)
    assert xero.get("Contacts") == {"ok": 1}
    assert len(seen.slept) == 3 and all(20 <= wait <= 22 for wait in seen.slept)
    assert seen.answers == [429, 429, 429, 200]


def test_rate_limits_that_cannot_be_waited_out_stop_the_run():
    xero, _, _ = client((429, "", {"Retry-After": "3600", "X-Rate-Limit-Problem": "Day"}))
    with pytest.raises(api.DailyLimitReached) as caught:
        xero.get("Contacts")
    assert caught.value.retry_after == 3600
    xero, _, _ = client((429, "", {"Retry-After": "50", "X-Rate-Limit-Problem": "daily"}))
    with pytest.raises(api.DailyLimitReached):
        xero.get("Contacts")
    xero, _, seen = client((429, "", {"Retry-After": "121"}))
    with pytest.raises(api.RateLimited, match="minute rate limit") as caught:
        xero.get("Contacts")
    assert caught.value.retry_after == 121 and seen.slept == []
    xero, _, seen = client((429, "", {"Retry-After": "120", "X-Rate-Limit-Problem": "AppMinute"}))
    xero.http.get_adapter(BASE).answers += [(429, "", {"Retry-After": "120", "X-Rate-Limit-Problem": "AppMinute"})] * 10
    with pytest.raises(api.RateLimited, match="appminute rate limit"):
        xero.get("Contacts")
    assert 4 <= len(seen.slept) <= 5  # up to ten minutes of waiting, then the run stops


def test_a_rate_limited_answer_does_not_feed_the_pacer():
    xero, _, seen = client((429, "", {"Retry-After": "1", "X-MinLimit-Remaining": "0"}),
                           (200, {}, {"X-MinLimit-Remaining": "50"}))
    xero.get("Contacts")
    assert len(seen.slept) == 1 and xero.pacer.last_remaining == 50


def test_pages_follow_xeros_page_count():
    xero, script, _ = client((200, {"Contacts": [{"n": 1}], "pagination": {"pageCount": 2, "pageSize": 1},
                                    "DateTimeUTC": "2026-11-20T09:00:00"}),
                             (200, {"Contacts": [{"n": 2}], "pagination": {"pageCount": 2}}))
    since = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    pages = list(xero.pages("Contacts", "Contacts", {"where": "x"}, modified_since=since, page_size=1))
    assert [r.headers["If-Modified-Since"] for r in script.requests] == ["2026-11-20T09:00:00"] * 2
    assert pages == [[{"n": 1}], [{"n": 2}]]
    assert pages[0].server_time == datetime(2026, 11, 20, 9, tzinfo=timezone.utc) and pages[1].server_time is None
    assert (pages[0].page_size, pages[1].page_size) == (1, None)
    assert [r.url for r in script.requests] == [f"{BASE}/api.xro/2.0/Contacts?where=x&page=1&pageSize=1",
                                                f"{BASE}/api.xro/2.0/Contacts?where=x&page=2&pageSize=1"]


def test_without_a_page_count_a_short_page_is_the_last():
    xero, script, _ = client((200, {"Contacts": [1, 2]}), (200, {"Contacts": [3]}))
    assert list(xero.pages("Contacts", "Contacts", page_size=2)) == [[1, 2], [3]]
    xero, script, _ = client((200, {"Contacts": [1, 2], "pagination": {"pageSize": 2, "pageCount": True}}),
                             (200, {"Contacts": [3, 4], "pagination": {"pageSize": 3}}))
    assert list(xero.pages("Contacts", "Contacts", page_size=5)) == [[1, 2], [3, 4]]
    xero, script, _ = client((200, {"Contacts": [1], "pagination": {"pageSize": 0, "itemCount": 9}}),
                             (200, {"Contacts": [], "pagination": {"itemCount": True, "pageSize": "2"}}))
    assert [(p.page_size, p.item_count) for p in xero.pages("Contacts", "Contacts", page_size=1)] == [(0, 9),
                                                                                                    (None, None)]
    xero, script, _ = client((200, {"Contacts": [1], "pagination": {"pageSize": 0}}), (200, {"Contacts": []}))
    assert list(xero.pages("Contacts", "Contacts", page_size=1)) == [[1], []]
    xero, script, _ = client((200, {"Contacts": [1], "pagination": {"pageSize": 0}}))
    assert list(xero.pages("Contacts", "Contacts", page_size=5)) == [[1]]
    xero, script, _ = client((200, {"Contacts": [1], "pagination": {"pageSize": 1}}), (200, {"Contacts": []}))
    assert list(xero.pages("Contacts", "Contacts", page_size=5)) == [[1], []]
    xero, script, _ = client((200, {"Contacts": [1], "pagination": "odd"}), (200, {"Contacts": None}))
    assert list(xero.pages("Contacts", "Contacts", page_size=1)) == [[1], []]
    xero, script, _ = client((200, {"Contacts": [1, 2], "pagination": {"pageCount": 5}}), (200, {"Contacts": []}))
    assert list(xero.pages("Contacts", "Contacts", page_size=2)) == [[1, 2], []]  # an empty page ends it


def test_the_organisation():
    xero, script, _ = client((200, {"Organisations": [{"Name": "Demo"}]}))
    assert xero.organisation() == {"Name": "Demo"}
    assert script.requests[0].url == f"{BASE}/api.xro/2.0/Organisation"


def test_sign_in_sends_the_user_to_xero_with_pkce():
    xero, _, _ = client()
    url = xero.authorization_url("http://localhost/cb", "openid accounting.contacts", "st", "challenge")
    assert url.startswith(f"{BASE}/identity/connect/authorize?")
    for part in ("redirect_uri=http%3A%2F%2Flocalhost%2Fcb", "scope=openid+accounting.contacts", "state=st",
                 "code_challenge=challenge", "code_challenge_method=S256", "client_id=id", "response_type=code"):
        assert part in url
    verifier, challenge = api.new_pkce_pair()
    assert len(verifier) == 64 and challenge != verifier and len(challenge) == 43


TOKENS = {"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 1800}


def test_codes_and_refresh_tokens_are_swapped_for_tokens():
    xero, script, seen = client((200, TOKENS), (200, TOKENS))
    assert xero.exchange_code("code-1", "http://localhost/cb", "verifier")["access_token"] == "a"
    sent = script.requests[0]
    assert (sent.method, sent.url) == ("POST", f"{BASE}/connect/token") and script.timeouts == [30]
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"id:secret").decode()
    assert "redirect_uri=http%3A%2F%2Flocalhost%2Fcb" in sent.body
    assert "grant_type=authorization_code" in sent.body and "code_verifier=verifier" in sent.body
    assert sent.headers["Authorization"].startswith("Basic ")
    assert xero.refresh_token("r0")["refresh_token"] == "r"
    assert "grant_type=refresh_token" in script.requests[1].body and "refresh_token=r0" in script.requests[1].body
    assert (xero.calls, seen.before) == (2, 2)


@pytest.mark.parametrize("error", ["invalid_grant", "invalid_request", "unsupported_grant_type"])
def test_a_code_exchange_refused_with_pkce_and_the_secret_is_tried_once_without_pkce(error, caplog):
    xero, script, _ = client((400, {"error": error}), (200, TOKENS))
    with caplog.at_level("WARNING", logger="plugins.xero.api"):
        assert xero.exchange_code("code-1", "http://localhost/cb", "verifier")["access_token"] == "a"
    assert "code_verifier=verifier" in script.requests[0].body and "code_verifier" not in script.requests[1].body
    assert "code=code-1" in script.requests[1].body and "grant_type=authorization_code" in script.requests[1].body
    assert all("redirect_uri=http%3A%2F%2Flocalhost%2Fcb" in request.body for request in script.requests)
    assert caplog.messages == [f"Xero refused the code exchange with PKCE and the client secret ({error}); trying "
                               "once more with the client secret alone",
                               "Xero took the code exchange without PKCE (the client secret alone)"]


def test_a_code_exchange_refused_for_another_reason_is_not_tried_again():
    xero, script, _ = client((400, {"error": "invalid_client"}), (200, TOKENS))
    with pytest.raises(api.TokenRefused):
        xero.exchange_code("code-1", "http://localhost/cb", "verifier")
    assert len(script.requests) == 1
    xero, script, _ = client((400, {"error": "invalid_grant"}), (400, {"error": "invalid_grant"}))
    with pytest.raises(api.InvalidGrant):
        xero.exchange_code("code-1", "http://localhost/cb", "verifier")


def test_a_refused_refresh_token_means_reconnecting():
    xero, _, _ = client((400, {"error": "invalid_grant"}), (400, {"error": "invalid_client"}),
                        requests.ConnectionError())
    with pytest.raises(api.InvalidGrant) as caught:
        xero.refresh_token("r0")
    assert (str(caught.value), caught.value.status) == ("Xero no longer accepts this integration's authorisation.", 400)
    assert caught.value.error == "invalid_grant"
    with pytest.raises(api.TokenRefused, match="Xero refused the sign-in: invalid_client.") as caught:
        xero.refresh_token("r0")
    assert type(caught.value) is api.TokenRefused and (caught.value.status, caught.value.error) == (400, "invalid_client")
    with pytest.raises(api.XeroUnavailable, match=r"sign-in service could not be reached \(ConnectionError\)"):
        xero.refresh_token("r0")


def test_revoking_a_refresh_token():
    xero, script, seen = client((200, ""), (503, ""), requests.ConnectionError())
    xero.revoke("r0")
    sent = script.requests[0]
    assert (sent.method, sent.url) == ("POST", f"{BASE}/connect/revocation")
    assert "token=r0" in sent.body and "token_type_hint=refresh_token" in sent.body and script.timeouts[0] == 30
    with pytest.raises(api.XeroError, match="Xero answered 503") as caught:
        xero.revoke("r0")
    assert caught.value.status == 503
    with pytest.raises(api.XeroUnavailable, match=r"could not be reached \(ConnectionError\)"):
        xero.revoke("r0")
    assert (xero.calls, seen.before) == (3, 3)


class SharedStore:
    """Redis's get and set, as the shared pause uses them."""

    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, px=None):
        self.values[key] = value.encode()


def test_an_app_wide_allowance_nearly_spent_holds_the_next_call_in_every_process():
    store = SharedStore()
    xero, _, seen = client((200, {}, {"X-AppMinLimit-Remaining": "10", "X-DayLimit-Remaining": "4321"}), (200, {}),
                           redis=store)
    assert xero.day_remaining is None
    xero.get("Contacts")
    assert seen.slept == [] and xero.day_remaining == 4321
    assert float(store.get(pacing.PAUSE_KEY)) == pytest.approx(time.time() + 61, abs=3)
    xero.get("Contacts")
    assert len(seen.slept) == 1 and 58 < seen.slept[0] <= 61


def test_the_app_wide_pacer_reads_only_the_app_wide_count():
    xero, _, seen = client((200, {}, {"X-MinLimit-Remaining": "5", "X-AppMinLimit-Remaining": "11"}), (200, {}))
    xero.get("Contacts")
    xero.get("Contacts")
    assert seen.slept == []
