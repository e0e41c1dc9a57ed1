"""Xero usage at a glance: calls recorded from Xero's rate-limit headers as they are made, drawn per hour
against the limits, with the syncs' outcomes; against the sandbox over HTTP."""
import re
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import utcnow
from plugins.xero import usage
from plugins.xero.models import SyncRun, XeroConnection

from .support import html

XERO = "/tools/integrations/xero"
BAR = re.compile(r'<rect class="calls" data-calls="(\d+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"')


def recorded(tenant_id):
    """The calls and lowest allowances recorded in the last two hours (a sync may cross the hour)."""
    hours = usage.last_hours(tenant_id)[-2:]
    return sum(h.calls for h in hours), min((h.day_left for h in hours if h.day_left is not None), default=None)


def test_each_call_is_counted_from_the_headers_xero_returned(integrated, sandbox):
    connection = db.session.scalar(select(XeroConnection))
    calls, day_left = recorded(connection.tenant_id)
    served = sandbox.stats()["per_tenant"][connection.tenant_id.lower()]
    assert calls == served > 0
    assert day_left == 5000 - served  # X-DayLimit-Remaining of the last call


def test_the_recorder_keeps_the_lowest_allowances_and_counts_refusals(app):
    recorder = usage.UsageRecorder("tenant-a")
    recorder(200, {"X-DayLimit-Remaining": "900", "X-MinLimit-Remaining": "58", "X-AppMinLimit-Remaining": "9999"})
    recorder(200, {"X-DayLimit-Remaining": "899", "X-MinLimit-Remaining": "57"})
    recorder(429, {"X-DayLimit-Remaining": "950", "X-MinLimit-Remaining": "0", "Retry-After": "20"})
    [hour] = usage.last_hours("tenant-a")[-1:]
    assert (hour.calls, hour.limited, hour.day_left, hour.minute_left, hour.app_minute_left) == (3, 1, 899, 0, 9999)


def test_redis_down_loses_the_count_not_the_call(app, caplog):
    recorder = usage.UsageRecorder("tenant-b", connection=redis.Redis(host="127.0.0.1", port=1, socket_timeout=1))
    recorder(200, {"X-DayLimit-Remaining": "10"})
    assert "Xero usage not recorded" in caplog.text


@pytest.fixture
def known_usage(integrated):
    """Known calls at three hours and known sync runs, replacing what integrating recorded."""
    connection = db.session.scalar(select(XeroConnection))
    store = redis_connection()
    now = utcnow()
    store.delete(*[usage.hour_key(connection.tenant_id, now - timedelta(hours=n)) for n in range(24 * 7)])
    for hours_ago, calls in ((0, 5), (2, 10), (30, 50)):
        store.hset(usage.hour_key(connection.tenant_id, now - timedelta(hours=hours_ago)),
                   mapping={"calls": calls, "limited": 0, "day_left": 4000})
    db.session.execute(SyncRun.__table__.delete())
    for state, days_ago in (("finished", 0), ("finished", 0), ("failed", 0), ("stopped", 1), ("abandoned", 6)):
        db.session.add(SyncRun(tenant_id=connection.tenant_id, state=state, trigger="periodic",
                               queued_at=now - timedelta(days=days_ago)))
    db.session.commit()
    return connection


def test_the_chart_shows_the_right_bars_for_known_data(known_usage, admin):
    page = html(admin.get(f"{XERO}/usage", headers={"HX-Request": "true"}))
    assert "<html" not in page
    bars = {int(calls): (float(x), float(height)) for calls, x, _y, _w, height in BAR.findall(page)}
    assert set(bars) == {5, 10, 50}
    # 168 hourly slots over 664 px; the scale tops at 250 (the Standard plan's 208 an hour, plus room).
    slot, plot_height = 664 / 168, 166
    for calls, hours_ago in ((5, 0), (10, 2), (50, 30)):
        x, height = bars[calls]
        assert x == pytest.approx(48 + (167 - hours_ago) * slot + slot * 0.1, abs=0.01)
        assert height == pytest.approx(calls / 250 * plot_height, abs=0.01)
    assert "Starter plan: 1,000 a day = 42 an hour" in page and "Standard plan: 5,000 a day = 208 an hour" in page
    assert "65 calls to Xero" in page and "The lowest daily allowance Xero reported left was 4,000 calls." in page
    assert '<title id="calls-title">Xero calls per hour, last 7 days</title>' in page


def test_the_sync_outcomes_per_day_are_drawn_with_patterns_and_counts(known_usage, admin):
    page = html(admin.get(f"{XERO}/usage"))
    outcomes = re.findall(r'<rect class="outcome outcome-(\w+)" data-count="(\d+)"[^>]*fill="([^"]+)"', page)
    assert sorted((kind, int(count)) for kind, count, _fill in outcomes) == [
        ("failed", 1), ("failed", 1), ("finished", 2), ("skipped", 1)]
    assert {kind: fill for kind, _count, fill in outcomes} == {
        "finished": "#1f3a5f", "skipped": "url(#pattern-skipped)", "failed": "url(#pattern-failed)"}
    assert "2 finished, 0 skipped or stopped, 1 failed" in page  # the chart's description, read without colour


def test_the_xero_page_loads_the_usage_panel(integrated, admin):
    assert f'hx-get="{XERO}/usage" hx-trigger="load" hx-select="#xero-usage"' in html(admin.get(f"{XERO}/"))
    assert '<section class="card usage" id="xero-usage"' in html(admin.get(f"{XERO}/usage", headers={"HX-Request": "true"}))


def test_no_usage_page_without_a_connection(admin):
    assert admin.get(f"{XERO}/usage").status_code == 404
