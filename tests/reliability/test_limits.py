"""Xero's rate limits: pace under them, honour Retry-After, stop cleanly at the daily limit."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.models import utcnow
from plugins.xero.models import SyncRun, XeroConnection

from .conftest import all_clients, duplicates_and_losses, sync_until_settled

pytestmark = pytest.mark.reliability


def import_clients(count, prefix):
    services.import_clients([{"name": f"{prefix} {n:05d}", "email": f"{n}@{prefix.lower()}.example"}
                             for n in range(count)])
    db.session.commit()


def test_2000_new_clients_at_xeros_real_limits_meet_no_429(integrate, sandbox, in_xero, report):
    integrate()
    import_clients(2000, "Limits")
    runs = sync_until_settled()
    stats = sandbox.stats()
    clients = all_clients()[-2000:]
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
    report("2,000 new clients at Xero's real limits", f"none ({stats['throttled']} × 429 served)",
           runs, len(clients), duplicates, lost)
    assert stats["throttled"] == 0
    assert (duplicates, lost) == (0, 0)


def test_pacing_and_retry_after_carry_a_sync_past_the_minute_limit(integrate, sandbox, in_xero, report):
    integrate()
    import_clients(250, "Paced")
    sandbox.set_limits(per_minute=6)
    while in_xero.http.get(f"{sandbox.url}/api.xro/2.0/Organisation").status_code != 429:
        pass  # someone else's calls use up this minute's allowance first...
    sandbox.advance_clock(40)  # ...late in the window (20 s left even on a slow machine), so Retry-After is short
    before = sandbox.stats()["throttled"]
    runs = sync_until_settled()
    ours = sandbox.stats()["throttled"] - before
    sandbox.set_limits(per_minute=60)
    clients = all_clients()[-250:]
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
    report("250 new clients at 6 calls a minute, allowance used up by another caller",
           f"rate limit ({ours} × 429 met, honoured)", runs, len(clients), duplicates, lost)
    assert (duplicates, lost) == (0, 0)
    assert ours == 1  # the one the other caller caused; pacing kept the sync clear of any other


def test_daily_limit_stops_cleanly_keeps_the_work_and_says_when_it_resumes(
        integrate, sandbox, in_xero, admin, report):
    connection = integrate()
    import_clients(300, "Daily")
    sandbox.set_limits(per_day=sandbox.stats()["per_tenant"].get(connection.tenant_id.lower(), 0) + 4)
    throttled_before = sandbox.stats()["throttled"]
    runs = sync_until_settled(max_runs=1)
    refused = sandbox.stats()["throttled"] - throttled_before
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run.state == "stopped" and "daily limit" in run.message and "resumes at" in run.message
    page = admin.get("/tools/integrations/xero/").get_data(as_text=True)
    assert "daily limit" in page and "resumes at" in page
    created_before = run.counts.get("contacts_created", 0)
    assert created_before > 0  # what was done before the limit is kept
    sandbox.set_limits(per_day=5000)
    sandbox.advance_clock(86400)
    connection = db.session.get(XeroConnection, connection.id)
    connection.daily_limit_until = utcnow() - timedelta(seconds=1)  # as if the day had passed here too
    db.session.commit()
    runs += sync_until_settled()
    clients = all_clients()[-300:]
    duplicates, lost = duplicates_and_losses(in_xero.contacts_all(), clients)
    report("300 new clients, daily limit reached mid-sync, resumed next day",
           f"daily limit ({refused} × 429 met)", runs, len(clients), duplicates, lost)
    assert (duplicates, lost) == (0, 0)
