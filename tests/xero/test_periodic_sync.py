"""The periodic sync: workers queue it every interval, once across all of them, never while off."""
from sqlalchemy import select

from bm.extensions import db
from bm.jobs import queue, redis_connection
from bm.worker import enqueue_due_periodic_jobs
from plugins.xero.models import SyncRun, XeroSettings


def queued_syncs(app):
    db.session.commit()  # the test's own session must not hold SQLite's write lock
    enqueue_due_periodic_jobs(app)
    return [job_id for job_id in queue().job_ids if job_id == "periodic-xero-sync"]


def test_workers_queue_the_periodic_sync_once_per_interval(integrate, app, queues):
    integrate()
    for _worker in range(2):  # three workers' schedulers tick at the same moment
        queued_syncs(app)
    assert queued_syncs(app) == ["periodic-xero-sync"]
    assert 0 < redis_connection(app).ttl("bm:periodic:xero-sync") <= 15 * 60
    queues()
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run.trigger == "periodic" and run.state == "finished"


def test_an_interval_of_zero_switches_the_periodic_sync_off(integrate, app, queues):
    integrate()
    db.session.get(XeroSettings, 1).sync_interval_minutes = 0
    assert queued_syncs(app) == []


def test_a_disabled_plugin_gets_no_periodic_sync(integrate, admin, app, queues):
    integrate()
    admin.post("/tools/plugins/xero", {"enabled": "0"})
    assert queued_syncs(app) == []
