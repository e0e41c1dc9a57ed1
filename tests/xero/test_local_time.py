"""The Xero pages show times in the practice's zone: last sync and the sync history (the daily-limit resume
time: test_troubleshooter)."""
from datetime import timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bm.extensions import db
from plugins.xero.models import SyncRun

XERO = "/tools/integrations/xero"
ZONE = "Pacific/Auckland"  # never the same hour as UTC


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_TIMEZONE": ZONE}


def in_auckland(moment, fmt):
    return moment.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(ZONE)).strftime(fmt + " %Z")


def test_last_sync_and_the_sync_history_are_in_the_practice_zone(integrated, admin):
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert f"Last sync {in_auckland(run.finished_at, '%d %b %Y %H:%M')}:" in admin.get(f"{XERO}/").get_data(as_text=True)
    runs = admin.get(f"{XERO}/history").get_data(as_text=True)
    assert in_auckland(run.started_at, "%d %b %Y %H:%M:%S") in runs
