"""The worker: runs queued jobs in the app's context and queues the plugins' periodic jobs when due."""
import logging
import threading
import time
from contextlib import contextmanager

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.registry import StartedJobRegistry

from .extensions import db
from .history import PRUNE_JOB
from .jobs import QUEUE_NAMES, enqueue, redis_connection, worker_connection
from .plugins import current_plugins

log = logging.getLogger(__name__)
TICK_SECONDS = 10  # how often each worker looks for due periodic jobs and abandoned jobs


class AppWorker(SimpleWorker):
    """An RQ worker that runs each job inside the Flask app's context.

    While a job runs, a thread renews the worker's and the job's heartbeats every third of
    ``BM_WORKER_HEARTBEAT_SECONDS``, so a worker killed mid-job (SIGKILL) is known dead, and its
    job failed as abandoned, within that many seconds instead of the job's whole timeout.
    """

    def __init__(self, *args, app, **kwargs):
        self.heartbeat_seconds = app.config["BM_WORKER_HEARTBEAT_SECONDS"]
        super().__init__(*args, worker_ttl=self.heartbeat_seconds, job_monitoring_interval=self.heartbeat_seconds,
                         **kwargs)
        self.app = app

    def get_heartbeat_ttl(self, job, working_time=0.0):
        return self.heartbeat_seconds

    def perform_job(self, job, queue, execution, *args, **kwargs):
        with self.app.app_context(), self._heartbeats(job, execution):
            try:
                return super().perform_job(job, queue, execution, *args, **kwargs)
            finally:
                db.session.remove()

    @contextmanager
    def _heartbeats(self, job, execution):
        stop = threading.Event()

        def beat():
            while not stop.wait(self.heartbeat_seconds / 3):
                try:
                    self.maintain_heartbeats(job, execution)
                except RedisError as exc:
                    log.warning("could not renew job %s's heartbeat: %s", job.id, exc)

        thread = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{job.id}")
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def run_worker(app, burst=False, with_periodic=True):
    """Work the app's queues until stopped (or until empty with ``burst``)."""
    if with_periodic and not burst:
        threading.Thread(target=_periodic_loop, args=(app,), daemon=True).start()
    return app_worker(app).work(burst=burst)


def app_worker(app):
    """An AppWorker on the app's queues, reading them on a Redis client of its own (see ``worker_connection``)."""
    connection = worker_connection(app)
    return AppWorker([Queue(name, connection=connection) for name in QUEUE_NAMES], connection=connection, app=app)


def fail_abandoned_jobs(app, every=TICK_SECONDS):
    """Move the jobs whose worker stopped beating to the failed jobs (RQ's AbandonedJobError), in
    one worker at a time."""
    connection = redis_connection(app)
    if connection.set("bm:maintenance:started-jobs", str(time.time()), nx=True, ex=every):
        for name in QUEUE_NAMES:
            StartedJobRegistry(name, connection=connection).cleanup()


def enqueue_due_periodic_jobs(app):
    """Queue each periodic job (the core's, then enabled plugins') whose interval has passed, once across workers."""
    with app.app_context():
        connection = redis_connection(app)
        for job in [PRUNE_JOB, *current_plugins().collect("periodic_jobs")]:
            interval = job.interval() if callable(job.interval) else job.interval
            if not interval:
                continue
            if connection.set(f"bm:periodic:{job.name}", str(time.time()), nx=True, ex=int(interval)):
                enqueue(job.func, job_id=f"periodic-{job.name}")
        db.session.remove()


def _periodic_loop(app, tick=TICK_SECONDS):
    while True:
        try:
            fail_abandoned_jobs(app)
            enqueue_due_periodic_jobs(app)
        except Exception:  # the loop must outlive a Redis or database outage
            log.exception("periodic job scheduling failed")
        time.sleep(tick)
