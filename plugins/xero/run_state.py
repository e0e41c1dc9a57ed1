"""Sync runs' states: the one place that moves a run from one state to the next.

A run is born "queued" (with an RQ job named after it) or straight into "running" (a periodic
or webhook job creates its run as it starts). Whether it is still alive is never judged by its
age: a running run is alive while its worker holds the organisation lock, which the worker's
heartbeat renews and which runs out within ``XERO_SYNC_LOCK_SECONDS`` of the worker dying
(SIGKILL included); a queued run is alive while its RQ job waits or runs. ``reap`` marks the
dead ones abandoned (or failed, with the job's error), so none of them ever blocks a sync.
"""
import logging
import re

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select, update

from bm.extensions import db
from bm.jobs import enqueue, redis_connection
from bm.models import utcnow

from .models import SyncRun

log = logging.getLogger(__name__)
EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*): (.+)$", re.MULTILINE)
RUN_STATES = ("queued", "running", "finished", "skipped", "stopped", "failed", "abandoned")
ACTIVE = ("queued", "running")
ABANDONED = ("This sync stopped without finishing: the worker running it was stopped (restarted, or killed "
             "for lack of memory). Nothing is lost; the next sync carries on from where it stopped.")
LOST = ("This sync never started: its background job was lost (the job queue was emptied or restarted). "
        "Nothing is lost; the next sync does the work.")
NO_WORKERS = ("The background workers cannot be reached right now. Nothing is lost: "
              "your changes wait and go to Xero once they are back.")
WAITING_JOB = ("queued", "deferred", "scheduled", "started")


def lock_key(tenant_id):
    """The Redis key of an organisation's one-sync-at-a-time lock."""
    return f"bm:xero:sync:{tenant_id}"


def lock_owner(run_id):
    """The value a run's worker keeps in the organisation lock while the run is alive."""
    return f"run-{run_id}"


def job_id(run_id):
    """The id of the RQ job that carries a queued run."""
    return f"xero-run-{run_id}"


def queued(tenant_id, trigger):
    """Record a new queued run (flushed, not committed) and return it."""
    run = SyncRun(tenant_id=tenant_id, trigger=trigger, state="queued", counts={}, errors=[])
    db.session.add(run)
    db.session.flush()
    return run


def send(run, func, *args):
    """Commit a queued run and queue its job; with the queue unreachable the run is skipped, saying so."""
    db.session.commit()
    if enqueue(func, run.id, *args, job_id=job_id(run.id)) is None:
        finish(run, "skipped", NO_WORKERS)
    return run


def running(run):
    """Mark a run running (its worker holds the organisation lock); any other running run of the
    organisation is dead, since it no longer holds that lock."""
    others = select(SyncRun.id).where(SyncRun.tenant_id == run.tenant_id, SyncRun.id != run.id,
                                      SyncRun.state == "running")
    for other in db.session.scalars(others).all():
        _end(other, "running", "abandoned", ABANDONED)
    run.state, run.started_at = "running", utcnow()
    db.session.commit()


def finish(run, state, message):
    """Record how a run ended and commit."""
    run = db.session.merge(run)
    run.state, run.message, run.finished_at, run.progress, run.phase = state, message, utcnow(), 100, ""
    db.session.commit()
    return run


def _end(run_id, was, state, message):
    """End a run that is still in state ``was`` (a run that ended meanwhile keeps its own ending)."""
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id, SyncRun.state == was).values(
        state=state, message=message, finished_at=utcnow(), progress=100, phase=""))


def reap(redis, tenant_id):
    """Mark the organisation's dead runs abandoned or failed (committed); return the live one, or None.

    The runs are read before the lock, so a run seen running was holding it if it is alive. With
    Redis unreachable nothing is judged (a live run cannot be told from a dead one).
    """
    runs = db.session.execute(select(SyncRun.id, SyncRun.state).where(
        SyncRun.tenant_id == tenant_id, SyncRun.state.in_(ACTIVE)).order_by(SyncRun.id)).all()
    db.session.commit()  # end the read: on SQLite a stale read snapshot could not write below
    live = None
    try:
        holder = redis.get(lock_key(tenant_id))
        holder = holder.decode() if holder is not None else None
        endings = {run_id: _why_dead(redis, run_id, state, holder) for run_id, state in runs}
    except RedisError as exc:
        log.warning("could not check the sync runs' workers: %s", exc)
        return None
    for run_id, state in runs:
        if endings[run_id] is None:
            live = run_id
        else:
            log.warning("xero sync run %s ended as %s: %s", run_id, *endings[run_id])
            _end(run_id, state, *endings[run_id])
    db.session.commit()
    db.session.expire_all()
    return db.session.get(SyncRun, live) if live else None


def checked(run):
    """The run (or None), its liveness checked first when it is queued or running (see reap)."""
    if run is not None and run.state in ACTIVE:
        reap(redis_connection(), run.tenant_id)
        db.session.refresh(run)
    return run


def _why_dead(redis, run_id, state, holder):
    """``(state, message)`` for a run whose worker or job is gone, None while it is alive."""
    if state == "running":
        return None if holder == lock_owner(run_id) else ("abandoned", ABANDONED)
    try:
        job = Job.fetch(job_id(run_id), connection=redis)
    except NoSuchJobError:
        return "abandoned", LOST
    status = job.get_status(refresh=False)
    if status in WAITING_JOB:
        return None
    if status == "finished":
        return "skipped", "There was nothing to sync: the Xero integration was off when this sync's turn came."
    result = job.latest_result()
    error = (result.exc_string or "") if result is not None else ""
    if "AbandonedJobError" in error:
        return "abandoned", ABANDONED
    return "failed", (f"This sync's background job failed ({_exception_line(error)[:200]}). Nothing is lost; "
                      "the next sync carries on.")


def _exception_line(traceback_text):
    """The traceback's last "Error: message" line, its class named without its module, else its last line.

    The last line alone may be a library's footnote (SQLAlchemy's "Background on this error at: ...").
    """
    found = EXCEPTION_LINE.findall(traceback_text)
    if found:
        return f"{found[-1][0]}: {found[-1][1]}"
    return traceback_text.strip().splitlines()[-1] if traceback_text.strip() else "stopped"
