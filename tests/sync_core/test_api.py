"""The pure parts of the Xero client (plugins/xero/api.py): dates, URLs, answers read into exceptions, pacing."""
import json
from datetime import datetime, timezone

import pytest
import requests

from plugins.xero import api
from plugins.xero.api import Pacer, XeroUrls


def response(status, body=None, text=None, headers=None):
    made = requests.Response()
    made.status_code = status
    made._content = (text if text is not None else json.dumps(body)).encode()
    made.headers.update(headers or {})
    return made


@pytest.mark.parametrize(("value", "moment"), [
    ("/Date(1763629200000+0000)/", datetime(2025, 11, 20, 9, 0, tzinfo=timezone.utc)),
    ("/Date(1763629200123)/", datetime(2025, 11, 20, 9, 0, 0, 123000, tzinfo=timezone.utc)),
    ("/Date(1763629200000-0100)/", datetime(2025, 11, 20, 9, 0, tzinfo=timezone.utc)),
    ("/Date(12345)/", datetime(1970, 1, 1, 0, 0, 12, 345000, tzinfo=timezone.utc)),
    ("/Date(+0000)/", datetime(1970, 1, 1, tzinfo=timezone.utc)),
    ("/Date(1+0000)/", datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=timezone.utc)),
    ("2026-11-20T09:00:00", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)),
    ("2026-11-20T09:00:00Z", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)),
    ("2026-11-20T10:00:00+01:00", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)),
    ("", None), (None, None),
])
def test_xero_date(value, moment):
    assert api.xero_date(value) == moment


def test_xero_date_refuses_what_is_not_a_date():
    with pytest.raises(ValueError):
        api.xero_date("yesterday")


def test_urls_for_xero_and_for_one_base():
    xero = XeroUrls.for_base(None)
    assert (xero.authorize, xero.token, xero.revocation, xero.connections, xero.api, xero.go) == (
        "https://login.xero.com/identity/connect/authorize", "https://identity.xero.com/connect/token",
        "https://identity.xero.com/connect/revocation", "https://api.xero.com/connections",
        "https://api.xero.com/api.xro/2.0", "https://go.xero.com")
    sandbox = XeroUrls.for_base("http://127.0.0.1:5001/")
    assert (sandbox.authorize, sandbox.token, sandbox.revocation, sandbox.connections, sandbox.api, sandbox.go) == (
        "http://127.0.0.1:5001/identity/connect/authorize", "http://127.0.0.1:5001/connect/token",
        "http://127.0.0.1:5001/connect/revocation", "http://127.0.0.1:5001/connections",
        "http://127.0.0.1:5001/api.xro/2.0", "http://127.0.0.1:5001")
    assert sandbox.deep_link("!abc", "/Contacts/View/1 2") == (
        "http://127.0.0.1:5001/organisationlogin/default.aspx?shortcode=%21abc&redirecturl=%2FContacts%2FView%2F1+2")


def test_url_sized_cuts_ids_to_stay_within_the_url_length():
    ids = [f"{n:036d}" for n in range(120)]
    runs = list(api.url_sized(ids, "Contacts", lambda run: {"IDs": ",".join(run)}))
    assert sum(runs, []) == ids and len(runs) > 1
    for run in runs:
        assert len(api._url("Contacts", {"IDs": ",".join(run)})) <= api.MAX_URL_LENGTH
    assert len(api._url("Contacts", {"IDs": ",".join(runs[0] + runs[1][:1])})) > api.MAX_URL_LENGTH
    assert list(api.url_sized([], "Contacts", lambda run: {})) == []
    assert list(api.url_sized(["a", "b"], "Contacts", lambda run: {"IDs": ",".join(run)}, limit=10)) == [["a"], ["b"]]
    exact = len(api._url("C", {"IDs": "a,b"}))
    assert list(api.url_sized(["a", "b"], "C", lambda run: {"IDs": ",".join(run)}, limit=exact)) == [["a", "b"]]


def test_url_is_measured_on_xeros_api_host():
    assert api._url("Contacts", {"IDs": "a b"}) == "https://api.xero.com/api.xro/2.0/Contacts?IDs=a+b"


def test_any_of_quotes_each_value():
    assert api.any_of("Reference", ['BM-1', 'say "hi"', 'a\\b']) == (
        'Reference=="BM-1" OR Reference=="say \\"hi\\"" OR Reference=="a\\\\b"')


def test_seconds_of_retry_after():
    assert [api._seconds(value, 60) for value in ("30", " 7 ", None, "", "soon", "-5", "1.5", "٣")] == [
        30, 7, 60, 60, 60, 60, 60, 60]


def test_detail_of_a_problem_answer():
    assert api._detail(response(403, {"Detail": "No access", "Title": "Forbidden"})) == "No access"
    assert api._detail(response(403, {"Title": "Forbidden"})) == ""
    assert api._detail(response(403, ["not", "a", "dict"])) == ""
    assert api._detail(response(401, text="  " + "x" * 300)) == "x" * 198


def test_json_of_an_answer():
    assert api._json(response(200, {"a": 1})) == {"a": 1}
    assert api._json(response(200, [1])) == [1]
    with pytest.raises(api.XeroError, match=r"not valid JSON \(5 bytes\)") as caught:
        api._json(response(502, text="<html"))
    assert caught.value.status == 502
    with pytest.raises(api.XeroError, match="unexpected shape") as caught:
        api._json(response(200, "text"))
    assert caught.value.status == 200


def test_server_time_of_a_page():
    assert api._server_time({"DateTimeUTC": "2026-11-20T09:00:00"}) == datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    assert api._server_time({"DateTimeUTC": "garbage"}) is None
    assert api._server_time({}) is None
    assert api.Page([1]).server_time is None


def test_error_from_a_validation_answer_keeps_each_message_and_element():
    elements = [{"ValidationErrors": [{"Message": "Name taken."}, {"Message": "Bad email."}]}, {"ValidationErrors": None},
                {"ValidationErrors": [{}]}]
    error = api.error_from(response(400, {"Type": "ValidationException", "Message": "A validation exception occurred",
                                          "Elements": elements}))
    assert type(error) is api.XeroValidationError and error.status == 400
    assert error.messages == ["Name taken.", "Bad email.", ""] and error.elements == elements
    assert str(error) == "Name taken. Bad email. "
    bare = api.error_from(response(400, {"Type": "ValidationException", "Message": "Whole request refused"}))
    assert bare.messages == ["Whole request refused"] and bare.elements == []


def test_error_from_other_answers():
    assert api.error_from(response(400, {"Message": "Bad where"})).messages == ["Bad where"]
    assert api.error_from(response(400, text="plain refusal")).messages == ["plain refusal"]
    assert api.error_from(response(400, ["x"])).messages == ['["x"]']
    assert api.error_from(response(400, text="")).messages == ["Xero refused the request."]
    assert str(api.XeroValidationError([])) == "Xero refused the data."
    missing = api.error_from(response(404, text="Not found"))
    assert (type(missing), str(missing), missing.status) == (api.XeroNotFound, "Xero has no such record.", 404)
    other = api.error_from(response(500, text="boom"))
    assert (type(other), str(other), other.status) == (api.XeroUnavailable, "Xero answered with an error (500).", 500)


def test_rate_limit_errors_say_when_to_come_back():
    limited = api.RateLimited("minute", 30)
    assert (str(limited), limited.status, limited.problem, limited.retry_after) == (
        "Xero's minute rate limit was reached; retry in 30 s.", 429, "minute", 30)
    daily = api.DailyLimitReached(100)
    assert daily.problem == "day" and abs(daily.resumes_at - datetime.now(timezone.utc).timestamp() - 100) < 5
    offline = api.XeroOffline(300)
    assert (str(offline), offline.status, offline.retry_after) == ("Xero is unavailable.", 503, 300)


def limited_client(monkeypatch, jitter):
    """A client whose sleeps are recorded and whose jitter is ``jitter`` (random.random's value)."""
    slept = []
    monkeypatch.setattr(api.random, "random", lambda: jitter)
    return api.XeroClient("id", "secret", sleep=slept.append), slept


def too_many(problem=None, retry_after=None):
    headers = {"X-Rate-Limit-Problem": problem, "Retry-After": retry_after}
    return response(429, {}, headers={name: value for name, value in headers.items() if value is not None})


def test_a_minute_429_waits_retry_after_and_up_to_a_tenth_more(monkeypatch):
    client, slept = limited_client(monkeypatch, jitter=0.5)
    client.pacer.window_start, client.pacer.last_remaining = 1000.0, 3
    assert client._rate_limited(too_many("minute", "30"), waited=0) == slept[-1] == pytest.approx(31.5)
    assert (client.pacer.window_start, client.pacer.last_remaining) == (None, None)  # the count starts again


def test_a_429_that_names_no_limit_and_no_time_waits_a_minute(monkeypatch):
    client, slept = limited_client(monkeypatch, jitter=0.0)
    assert client._rate_limited(too_many(), waited=0) == 60
    assert client._rate_limited(too_many("Minute", "soon"), waited=0) == 60
    assert slept == [60, 60]


def test_the_app_wide_minute_holds_every_process_rather_than_sleeping_here(monkeypatch):
    client, slept = limited_client(monkeypatch, jitter=0.0)
    client.app_pacer.window_start, client.app_pacer.last_remaining = 1000.0, 3
    assert client._rate_limited(too_many("AppMinute", "20"), waited=0) == 20
    assert slept == [] and client.app_pause.local_until > 0
    assert (client.app_pacer.window_start, client.app_pacer.last_remaining) == (None, None)


@pytest.mark.parametrize("problem", ["day", "DayLimit", "Daily"])
def test_the_daily_limit_stops_at_once(monkeypatch, problem):
    client, slept = limited_client(monkeypatch, jitter=0.0)
    with pytest.raises(api.DailyLimitReached) as stopped:
        client._rate_limited(too_many(problem, "3600"), waited=0)
    assert stopped.value.retry_after == 3600 and slept == []


@pytest.mark.parametrize(("retry_after", "waited", "stops"), [
    ("120", 0, False), ("121", 0, True), ("30", api.MAX_RATE_LIMIT_WAIT - 30, False),
    ("30", api.MAX_RATE_LIMIT_WAIT - 29, True),
])
def test_a_call_stops_waiting_past_two_minutes_at_once_or_its_whole_budget(monkeypatch, retry_after, waited, stops):
    client, slept = limited_client(monkeypatch, jitter=0.0)
    if stops:
        with pytest.raises(api.RateLimited) as stopped:
            client._rate_limited(too_many("minute", retry_after), waited=waited)
        assert (stopped.value.problem, stopped.value.retry_after, slept) == ("minute", int(retry_after), [])
    else:
        assert client._rate_limited(too_many("minute", retry_after), waited=waited) == int(retry_after)


def test_idempotency_keys_are_fresh_and_short_enough():
    first, second = api.new_idempotency_key(), api.new_idempotency_key()
    assert first != second and first.startswith("bm-") and len(first) == 39


class Clock:
    def __init__(self, now=1000.0):
        self.now, self.slept = now, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def paced(clock, reserve=1, margin=1.0):
    return Pacer(sleep=clock.sleep, clock=clock, reserve=reserve, margin=margin)


def test_the_pacer_waits_for_the_next_window_when_the_allowance_is_nearly_spent(caplog):
    clock = Clock()
    pacer = Pacer(sleep=clock.sleep, clock=clock)  # by default: one call kept in reserve, a second's margin
    pacer.before_call()
    pacer.after_response({"X-MinLimit-Remaining": "10"})
    clock.now += 20
    pacer.before_call()
    pacer.after_response({"X-MinLimit-Remaining": "2"})
    assert clock.slept == []
    with caplog.at_level("INFO", logger="plugins.xero.pacing"):
        pacer.after_response({"X-MinLimit-Remaining": "1"})
    assert clock.slept == [41.0]  # until a minute after the window began, and a second more
    assert caplog.messages == ["pacing Xero calls (X-MinLimit-Remaining): holding them 41.0 s for the next minute"]
    assert pacer.window_start is None and pacer.last_remaining is None


def test_the_pacer_does_not_wait_while_calls_remain_or_the_window_is_over():
    clock = Clock()
    pacer = paced(clock, reserve=2, margin=0.5)
    pacer.before_call()
    pacer.after_response({"X-MinLimit-Remaining": "3"})
    assert clock.slept == []
    clock.now += 61
    pacer.before_call()
    assert (pacer.window_start, pacer.last_remaining) == (1061.0, None)
    clock.now += 70
    pacer.after_response({"X-MinLimit-Remaining": "2"})
    assert clock.slept == []
    pacer.before_call()
    clock.now += 10
    pacer.after_response({"X-MinLimit-Remaining": "2"})
    assert clock.slept == [50.5]


def test_the_pacer_ignores_answers_without_a_count():
    clock = Clock()
    pacer = paced(clock)
    pacer.before_call()
    for headers in ({}, {"X-MinLimit-Remaining": "none"}, {"X-MinLimit-Remaining": "-1"}):
        pacer.after_response(headers)
    assert pacer.last_remaining is None and clock.slept == []


def test_the_pacer_starts_a_new_window_when_the_count_goes_up():
    clock = Clock()
    pacer = paced(clock)
    pacer.before_call()
    pacer.after_response({"X-MinLimit-Remaining": "5"})
    clock.now += 30
    pacer.before_call()
    pacer.after_response({"X-MinLimit-Remaining": "59"})
    assert pacer.window_start == 1030.0 and pacer.last_remaining == 59
    clock.now += 5
    pacer.before_call()
    pacer.after_response({"X-MinLimit-Remaining": "59"})
    assert pacer.window_start == 1030.0
    clock.now += 5
    pacer.before_call()
    pacer.after_response({"X-MinLimit-Remaining": "0"})
    assert clock.slept == [51.0]


def test_the_pacer_new_window_on_exactly_a_minute():
    clock = Clock()
    pacer = paced(clock)
    pacer.before_call()
    clock.now += 60
    pacer.before_call()
    assert pacer.window_start == 1060.0


def test_the_pacer_sleeps_only_for_time_still_to_wait():
    for elapsed, slept in ((61.0, []), (60.5, [0.5])):
        clock = Clock()
        pacer = paced(clock)
        pacer.before_call()
        clock.now += elapsed
        pacer.after_response({"X-MinLimit-Remaining": "0"})
        assert clock.slept == slept
