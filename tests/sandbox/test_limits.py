"""Rate limits as Xero enforces them, on the sandbox clock."""
import threading

from .helpers import XeroApp


def test_every_response_carries_the_limit_headers(xero):
    answer = xero.get("Organisation")
    assert answer.headers["X-MinLimit-Remaining"] == "59"
    assert answer.headers["X-DayLimit-Remaining"] == "4999"
    assert int(answer.headers["X-AppMinLimit-Remaining"]) == 9999


def test_minute_limit_gives_429_until_the_window_resets(sandbox, xero):
    sandbox.set_limits(per_minute=3)
    assert [xero.get("Organisation").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = xero.get("Organisation")
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert int(refused.headers["Retry-After"]) in range(1, 61)
    sandbox.advance_clock(61)
    assert xero.get("Organisation").status_code == 200
    assert sandbox.stats()["throttled"] == 2


def test_day_limit_and_app_minute_limit(sandbox, xero):
    sandbox.set_limits(per_day=2, app_per_minute=100)
    xero.get("Organisation"), xero.get("Organisation")
    refused = xero.get("Organisation")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    sandbox.set_limits(per_day=5000, app_per_minute=2)
    nz = XeroApp(sandbox.url, "Demo Company (NZ)")
    assert nz.get("Organisation").headers["X-Rate-Limit-Problem"] == "appminute"


def test_limits_are_per_organisation(sandbox):
    sandbox.set_limits(per_minute=1)
    uk, nz = XeroApp(sandbox.url), XeroApp(sandbox.url, "Demo Company (NZ)")
    assert uk.get("Organisation").status_code == 200
    assert uk.get("Organisation").status_code == 429
    assert nz.get("Organisation").status_code == 200


def test_concurrent_calls_beyond_five_are_refused(sandbox, xero):
    # Held long enough that the five are still in flight when the two more arrive, even on a
    # machine so loaded that seconds pass between (3 s was once not enough under a full CI run).
    sandbox.set_faults([{"endpoint": "GET /api.xro/2.0/Organisation", "timeout": 1,
                         "timeout_seconds": 10}])
    statuses = []

    def call():
        statuses.append(xero.get("Organisation").status_code)
    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    sandbox.wait_for_calls_held(5)  # in flight is not enough: a call is counted before the limits admit it
    assert [xero.get("Contacts").status_code for _ in range(2)] == [429, 429]
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5


def test_limits_can_be_switched_off_for_benchmarks(sandbox, xero):
    sandbox.set_limits(enabled=False, per_minute=1)
    assert {xero.get("Organisation").status_code for _ in range(5)} == {200}
