"""The worker: runs queued jobs in the app's context and queues the plugins' periodic jobs when due."""
import logging
import threading
import time

from rq import Queue, SimpleWorker

from .extensions import db
from .history import PRUNE_JOB
from .jobs import QUEUE_NAMES, enqueue, redis_connection
from .plugins import current_plugins

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """An RQ worker that runs each job inside the Flask app's context."""

    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, job, queue, *args, **kwargs):
        with self.app.app_context():
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def run_worker(app, burst=False, with_periodic=True):
    """Work the app's queues until stopped (or until empty with ``burst``)."""
    connection = redis_connection(app)
    if with_periodic and not burst:
        threading.Thread(target=_periodic_loop, args=(app,), daemon=True).start()
    worker = AppWorker([Queue(name, connection=connection) for name in QUEUE_NAMES],
                       connection=connection, app=app)
    return worker.work(burst=burst)


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


def _periodic_loop(app, tick=10):
    while True:
        try:
            enqueue_due_periodic_jobs(app)
        except Exception:  # the loop must outlive a Redis or database outage
            log.exception("periodic job scheduling failed")
        time.sleep(tick)
