"""Times are stored as naive UTC and shown in the practice's time zone (``BM_TIMEZONE``)."""
import os
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

DEFAULT_FORMAT = "%d %b %Y %H:%M"


def zone_name_from_environment():
    """The zone named by ``BM_TIMEZONE``, else by ``TZ``, else UTC."""
    return (os.environ.get("BM_TIMEZONE") or os.environ.get("TZ") or "UTC").strip().lstrip(":")


def parse_zone(name):
    """Return ``ZoneInfo(name)``, raising ValueError that names the setting when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"BM_TIMEZONE: unknown time zone {name!r}; use a name such as Europe/London.") from None


def practice_zone():
    """The practice's time zone, as configured for this app (ZoneInfo caches each zone)."""
    return parse_zone(current_app.config["BM_TIMEZONE"])


def to_local(moment):
    """A stored (naive UTC, or aware) datetime in the practice's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(practice_zone())


def local_time(moment, fmt=DEFAULT_FORMAT):
    """A stored time as the practice reads it, e.g. ``05 Mar 2026 14:02 GMT`` ("" for None).

    Takes a datetime or an ISO string; either without a zone is UTC, as the database keeps it.
    """
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = to_local(moment)
    return f"{local.strftime(fmt)} {local.tzname()}"
