"""Sync runs' liveness: a run is alive while its worker holds the organisation lock or its job waits,
never judged by age; dead ones are ended in words and never block Sync Now, the periodic sync or a webhook."""
from datetime import timedelta

import pytest
from rq.job import Job
from rq.job_lifecycle import record_job_failure
from sqlalchemy import select

from bm.extensions import db
from bm.jobs import queue, redis_connection
from bm.models import utcnow
from plugins.xero import jobs, run_state
from plugins.xero.models import SyncRun, XeroConnection
from plugins.xero.sync.engine import organisation_lock

XERO = "/tools/integrations/xero"


def dead_running_run(age=timedelta(0)):
    """A run left "running" by a worker that died (nothing holds the organisation lock)."""
    tenant = db.session.scalar(select(XeroConnection.tenant_id))
    run = SyncRun(tenant_id=tenant, trigger="manual", state="running", counts={}, errors=[],
                  queued_at=utcnow() - age, started_at=utcnow() - age)
    db.session.add(run)
    db.session.commit()
    return run


def test_a_fresh_running_run_whose_worker_died_does_not_block_sync_now(integrate, admin, queues):
    integrate()
    dead = dead_running_run()
    admin.post(f"{XERO}/sync")
    db.session.expire_all()
    assert dead.state == "abandoned" and "stopped without finishing" in dead.message
    queues()
    newest = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert newest.id != dead.id and newest.state == "finished"
    assert "stopped without finishing" in admin.get(f"{XERO}/runs/{dead.id}").get_data(as_text=True)


def test_a_run_holding_the_lock_is_alive_however_old(integrate, admin, app):
    integrate()
    alive = dead_running_run(age=timedelta(hours=5))
    with organisation_lock(redis_connection(app), alive.tenant_id, 30, owner=run_state.lock_owner(alive.id)):
        assert jobs.queue_sync().id == alive.id
        admin.post(f"{XERO}/sync")
    db.session.expire_all()
    assert alive.state == "running"
    assert db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc())).id == alive.id


def test_the_periodic_sync_and_a_webhook_sync_abandon_a_dead_run_and_finish(integrate, queues):
    integrate()
    for run_job in (jobs.sync_organisation, lambda: jobs.sync_changed_records([], True)):
        dead = dead_running_run()
        finished = db.session.get(SyncRun, run_job())
        db.session.expire_all()
        assert finished.state == "finished" and dead.state == "abandoned"


def test_a_queued_run_is_judged_by_its_job(integrate, app, queues):
    integrate()
    redis = redis_connection(app)
    tenant = db.session.scalar(select(XeroConnection.tenant_id))
    waiting = run_state.send(run_state.queued(tenant, "manual"), jobs.sync_organisation, "manual")
    assert run_state.reap(redis, tenant).id == waiting.id  # its job waits in the queue
    Job.fetch(run_state.job_id(waiting.id), connection=redis).delete()
    assert run_state.reap(redis, tenant) is None
    db.session.expire_all()
    assert waiting.state == "abandoned" and "never started" in waiting.message


SQLALCHEMY_TRACEBACK = """Traceback (most recent call last):
  File "/app/plugins/xero/jobs.py", line 40, in sync_organisation
    run = db.session.get(SyncRun, run_id)
sqlalchemy.exc.OperationalError: (psycopg.OperationalError) server closed the connection unexpectedly
\tThis probably means the server terminated abnormally
[SQL: SELECT 1]
(Background on this error at: https://sqlalche.me/e/21/e3q8)"""


@pytest.mark.parametrize("traceback, shown, hidden", [
    ("Traceback...\nMemoryError: out of memory", "(MemoryError: out of memory)", None),
    (SQLALCHEMY_TRACEBACK, "(OperationalError: (psycopg.OperationalError) server closed the connection unexpectedly)",
     "Background on this error"),
    ("Traceback...\nSystemExit", "(SystemExit)", None),
    ("", "(stopped)", None),
])
def test_a_queued_run_whose_job_failed_is_failed_with_the_jobs_error(integrate, app, queues, traceback, shown, hidden):
    integrate()
    tenant = db.session.scalar(select(XeroConnection.tenant_id))
    run = run_state.send(run_state.queued(tenant, "manual"), jobs.sync_organisation, "manual")
    job = Job.fetch(run_state.job_id(run.id), connection=redis_connection(app))
    queue().remove(job)
    with redis_connection(app).pipeline() as pipeline:
        record_job_failure(job, traceback, pipeline)
        pipeline.execute()
    jobs.queue_sync()
    db.session.expire_all()
    assert run.state == "failed" and shown in run.message
    assert hidden is None or hidden not in run.message


def test_a_queued_run_whose_job_found_the_plugin_off_is_skipped(integrate, admin, queues):
    integrate()
    run = jobs.queue_sync()
    admin.post("/tools/plugins/xero", {"enabled": "0"})
    queues()
    admin.post("/tools/plugins/xero", {"enabled": "1"})
    assert jobs.queue_sync().id != run.id
    db.session.expire_all()
    assert run.state == "skipped" and "off" in run.message
