"""Local time: stored in UTC, shown in the practice's time zone (BM_TIMEZONE) everywhere."""
from datetime import datetime

import pytest

from bm import create_app
from bm.extensions import db
from bm.localtime import local_time, zone_name_from_environment


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_TIMEZONE": "Europe/London"}


def test_the_client_file_shows_its_times_in_the_practice_zone(admin, make_client):
    client = make_client(name="Summer Ltd")
    client.created_at = datetime(2026, 7, 1, 12, 0)   # UTC; London is on BST (UTC+1)
    client.updated_at = datetime(2026, 1, 15, 9, 30)  # UTC; London is on GMT
    db.session.commit()
    page = admin.get(f"/clients/{client.id}").get_data(as_text=True)
    assert "01 Jul 2026 13:00 BST" in page
    assert "15 Jan 2026 09:30 GMT" in page


def test_the_users_list_shows_the_last_login_in_the_practice_zone(admin):
    from bm.models import User

    user = db.session.scalar(db.select(User))
    user.last_login_at = datetime(2026, 7, 1, 23, 15)
    db.session.commit()
    assert "02 Jul 2026 00:15 BST" in admin.get("/tools/users/").get_data(as_text=True)


def test_local_time_reads_naive_utc_aware_and_iso_strings(app):
    assert local_time(datetime(2026, 7, 1, 12, 0)) == "01 Jul 2026 13:00 BST"
    assert local_time("2026-07-01T12:00:00") == "01 Jul 2026 13:00 BST"
    assert local_time(datetime(2026, 7, 1, 12, 0), "%H:%M") == "13:00 BST"
    assert local_time(None) == ""


def test_the_zone_comes_from_bm_timezone_then_tz_then_utc(monkeypatch):
    monkeypatch.delenv("BM_TIMEZONE", raising=False)
    monkeypatch.delenv("TZ", raising=False)
    assert zone_name_from_environment() == "UTC"
    monkeypatch.setenv("TZ", ":Asia/Tokyo")
    assert zone_name_from_environment() == "Asia/Tokyo"
    monkeypatch.setenv("BM_TIMEZONE", "America/New_York")
    assert zone_name_from_environment() == "America/New_York"


def test_an_unknown_zone_stops_the_app_saying_which_setting(database_url):
    with pytest.raises(ValueError, match="BM_TIMEZONE: unknown time zone 'Mars/Olympus'"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "BM_TIMEZONE": "Mars/Olympus"})
