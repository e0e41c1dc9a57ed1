"""Xero usage at a glance: calls per hour as they are made, with the limits Xero reports, and sync outcomes.

``XeroClient`` reports every answer from the Accounting API to a ``UsageRecorder``, which counts
it in a Redis hash for its hour (one small script: no read-modify-write race between workers)
and keeps the lowest allowance each rate-limit header reported that hour. Hashes expire after
eight days. Recording is a view of the work, never a reason to fail it: a Redis error is logged.
"""
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import select

from bm.extensions import db
from bm.jobs import redis_connection
from bm.localtime import to_local
from bm.models import utcnow

from .models import SyncRun

log = logging.getLogger(__name__)
DAYS = 7
KEEP_SECONDS = 8 * 24 * 3600
HEADERS = {"X-DayLimit-Remaining": "day_left", "X-MinLimit-Remaining": "minute_left",
           "X-AppMinLimit-Remaining": "app_minute_left"}
DAILY_LIMITS = {"Starter": 1000, "Standard": 5000}  # calls a day per organisation (XERO-NOTES §5)
OUTCOMES = {"finished": "finished", "skipped": "skipped", "stopped": "skipped", "failed": "failed",
            "abandoned": "failed"}
RECORD_SCRIPT = """
redis.call('HINCRBY', KEYS[1], 'calls', 1)
redis.call('HINCRBY', KEYS[1], 'limited', ARGV[1])
for i = 3, #ARGV, 2 do
  local seen = redis.call('HGET', KEYS[1], ARGV[i])
  if not seen or tonumber(ARGV[i + 1]) < tonumber(seen) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
"""


def days_needed(calls, day_left):
    """A sentence on how many days ``calls`` to Xero take when ``day_left`` remain today, or None if they fit."""
    if day_left is None or calls <= day_left:
        return None
    days = {plan: 1 + math.ceil((calls - day_left) / per_day) for plan, per_day in DAILY_LIMITS.items()}
    return (f"This sync needs about {calls:,} calls to Xero and Xero allows this organisation {day_left:,} more "
            "today. It stops when they are used up and carries on by itself each time Xero's day starts again: "
            f"about {days['Standard']} days in all at {DAILY_LIMITS['Standard']:,} calls a day, or "
            f"{days['Starter']} on Xero's Starter plan ({DAILY_LIMITS['Starter']:,} a day).")


def hour_key(tenant_id, moment):
    """The Redis hash of one organisation's calls in the UTC hour of ``moment``."""
    return f"bm:xero:usage:{tenant_id}:{moment:%Y%m%d%H}"


class UsageRecorder:
    """Counts each Xero answer for an organisation in its hour, with the allowances it reported."""

    def __init__(self, tenant_id, connection=None, clock=utcnow):
        self.tenant_id, self.clock = tenant_id, clock
        self.connection = connection or redis_connection()
        self.script = self.connection.register_script(RECORD_SCRIPT)

    def __call__(self, status, headers):
        allowances = []
        for header, field in HEADERS.items():
            value = (headers.get(header) or "").strip()
            if value.isascii() and value.isdigit():
                allowances += [field, value]
        try:
            self.script(keys=[hour_key(self.tenant_id, self.clock())],
                        args=[1 if status == 429 else 0, KEEP_SECONDS, *allowances])
        except (RedisError, OSError) as exc:
            log.warning("Xero usage not recorded: %s", exc)


@dataclass
class Hour:
    """One hour of calls to Xero for an organisation."""

    start: datetime  # naive UTC, as the database keeps times
    calls: int = 0
    limited: int = 0
    day_left: int | None = None
    minute_left: int | None = None
    app_minute_left: int | None = None


def last_hours(tenant_id, now=None, connection=None):
    """The last seven days of hours, oldest first, the current hour last."""
    now = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    starts = [now - timedelta(hours=n) for n in range(DAYS * 24 - 1, -1, -1)]
    connection = connection or redis_connection()
    pipe = connection.pipeline(transaction=False)
    for start in starts:
        pipe.hgetall(hour_key(tenant_id, start))
    return [_hour(start, raw) for start, raw in zip(starts, pipe.execute())]


def _hour(start, raw):
    values = {key.decode() if isinstance(key, bytes) else key: int(value) for key, value in raw.items()}
    return Hour(start=start, **values)


def sync_outcomes(tenant_id, now=None):
    """``[(day, {"finished": n, "skipped": n, "failed": n})]`` for the last seven practice days."""
    now = now or utcnow()
    today = to_local(now).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    counts = {day: dict.fromkeys(("finished", "skipped", "failed"), 0) for day in days}
    runs = db.session.execute(select(SyncRun.state, SyncRun.queued_at).where(
        SyncRun.tenant_id == tenant_id, SyncRun.queued_at >= now - timedelta(days=DAYS + 1)))
    for state, queued_at in runs:
        day = to_local(queued_at).date()
        if day in counts and state in OUTCOMES:
            counts[day][OUTCOMES[state]] += 1
    return list(counts.items())

