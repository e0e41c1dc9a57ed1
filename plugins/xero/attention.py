"""When the integration needs a person: what is wrong, in words, and where to fix it.

Read on every page (the app-wide banner) and by the periodic incident check that mails admins,
so it costs three indexed queries: the connection, the latest finished runs (by primary key)
and whether a change has waited ``NO_WORKER_AFTER``. Only then is Redis asked about workers
(its answer kept for a while, ``bm.background.workers_alive``), and only with none alive are
the waiting changes counted for the banner.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import url_for
from redis.exceptions import RedisError
from sqlalchemy import func, select

from bm import background
from bm.extensions import db
from bm.localtime import local_time
from bm.models import utcnow
from bm.ui import Action, Banner

from .connection import active_connection
from .models import OutboxEntry, SyncRun
from .outbox import State

FAILED_RUNS = 3  # this many failed runs in a row (and no finished one since) raise a banner
NO_WORKER_AFTER = timedelta(minutes=2)
ENDED = ("finished", "failed", "abandoned")  # outcomes that say whether syncing works
PLACES = {  # where a trouble is fixed: (label, endpoint, admins only)
    "reconnect": ("Reconnect", "xero.connect", True),
    "integration": ("Xero integration", "xero.index", False),
    "history": ("Sync history", "xero_history.history_index", False),
    "jobs": ("Background jobs", "background.index", True),
}


@dataclass(frozen=True)
class Trouble:
    """One thing that needs a person: ``kind`` names it, ``text`` says it, ``fix`` says where."""

    kind: str  # disconnected, daily_limit, failing, abandoned, no_worker
    text: str
    fix: tuple = ()  # where it is fixed: keys of ``PLACES``


def banners(user):
    """The troubles as banners, each linking to the places ``user`` may go to fix it."""
    return [Banner(trouble.text, tuple(Action(PLACES[place][0], url_for(PLACES[place][1]))
                                       for place in trouble.fix if user.is_admin or not PLACES[place][2]))
            for trouble in troubles()]


def troubles():
    """What needs a person now, most serious first (empty while all is well or nothing is connected)."""
    connection = active_connection()
    if connection is None:
        return []
    name = connection.organisation_name or "the Xero organisation"
    if connection.status == "disconnected":
        reason = connection.status_reason or "the connection was removed in Xero"
        return [Trouble("disconnected", f"Xero disconnected {name}: {reason} Nothing syncs until an admin "
                                        "reconnects.", ("reconnect", "integration"))]
    found = []
    if connection.daily_limit_until and connection.daily_limit_until > utcnow():
        found.append(Trouble("daily_limit", f"Xero's daily limit for {name} is reached; syncing resumes at "
                                            f"{local_time(connection.daily_limit_until)}.", ("history",)))
    found.extend(_run_troubles(connection.tenant_id))
    found.extend(_waiting_troubles())
    return found


def _run_troubles(tenant_id):
    latest = db.session.execute(
        select(SyncRun.state, SyncRun.message).where(SyncRun.tenant_id == tenant_id, SyncRun.state.in_(ENDED))
        .order_by(SyncRun.id.desc()).limit(FAILED_RUNS)).all()
    streak = 0
    for state, _message in latest:
        if state == "finished":
            break
        streak += 1
    if streak >= FAILED_RUNS:
        return [Trouble("failing", f"The last {streak} syncs with Xero did not finish. The latest said: "
                                   f"{latest[0].message}", ("history",))]
    if streak and latest[0].state == "abandoned":
        return [Trouble("abandoned", "A sync with Xero stopped without finishing because its background worker "
                                     "was stopped.", ("history", "jobs"))]
    return []


def _waiting_troubles():
    pending = OutboxEntry.state == State.PENDING
    waited = db.session.scalar(select(OutboxEntry.id).where(pending, OutboxEntry.created_at < utcnow() - NO_WORKER_AFTER)
                               .limit(1))
    if waited is None:
        return []
    try:
        if background.workers_alive():
            return []
        why = "no background worker is running"
    except (RedisError, OSError):
        why = "the background workers' Redis cannot be reached"
    count = db.session.scalar(select(func.count()).where(pending))  # counted only while the banner is up
    changes = "1 change is" if count == 1 else f"{count:,} changes are"
    return [Trouble("no_worker", f"{changes} waiting to go to Xero, and {why}.", ("jobs",))]
