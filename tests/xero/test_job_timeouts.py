"""Job timeouts: every Xero job carries the sync's own timeout, however it is queued, so a long
periodic run is not stopped at the queue's default (here shortened to one second to show it)."""
import json

import pytest
from sqlalchemy import select

from bm import services
from bm.extensions import db
from bm.jobs import queue
from bm.worker import enqueue_due_periodic_jobs
from plugins.xero import jobs
from plugins.xero.models import SyncRun

from .test_webhooks import HOOK, KEY, sign

XERO = "/tools/integrations/xero"
DEFAULT_SECONDS = 1  # stands for RQ's 180 s: a job that names no timeout gets this


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_JOB_TIMEOUT": DEFAULT_SECONDS, "XERO_WEBHOOK_KEY": KEY}


def test_every_xero_job_is_queued_with_the_syncs_timeout_and_others_with_the_default(integrate, admin, app, queues):
    connection = integrate()
    admin.post(f"{XERO}/sync")
    body = json.dumps({"events": [{"tenantId": connection.tenant_id, "eventCategory": "INVOICE"}]}).encode()
    assert admin.client.post(HOOK, data=body, headers={"x-xero-signature": sign(body)}).status_code == 200
    admin.post(f"{XERO}/preview")
    db.session.commit()
    enqueue_due_periodic_jobs(app)
    timeouts = {job.func_name.rpartition(".")[2]: job.timeout for job in queue().jobs}
    assert timeouts == {"sync_organisation": jobs.SYNC_TIMEOUT, "sync_changed_records": jobs.SYNC_TIMEOUT,
                        "preview_job": jobs.SYNC_TIMEOUT, "prune": DEFAULT_SECONDS,
                        "prune_history": DEFAULT_SECONDS, "check": DEFAULT_SECONDS}
    queues()
    admin.post(f"{XERO}/links/recover", {"by": "code"})
    assert [job.timeout for job in queue().jobs] == [jobs.SYNC_TIMEOUT]


def test_a_periodic_sync_longer_than_the_default_timeout_finishes(integrate, app, queues, sandbox, in_xero):
    integrate()
    for number in range(5):
        services.create_client({"name": f"Long Run {number}"})
    db.session.commit()
    hold = DEFAULT_SECONDS + 1.5
    sandbox.set_faults([{"endpoint": "GET /api.xro/2.0/Contacts", "timeout": 1.0, "timeout_seconds": hold}])
    enqueue_due_periodic_jobs(app)
    queues()
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run.trigger == "periodic" and run.state == "finished", run.message
    assert (run.finished_at - run.started_at).total_seconds() > hold
    assert all(in_xero.contact_named(f"Long Run {number}") for number in range(5))
