"""Tools > Background jobs: RQ's queues, workers and failed jobs for admins, with Retry and Delete."""
import re
from datetime import timedelta

import pytest
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from bm import background
from bm.jobs import redis_connection
from bm.worker import run_worker
from support import html, wait_until_condition, worker_process

PAGE = "/tools/jobs/"
BAD_ZONE = "BM_TIMEZONE: unknown time zone &#39;Mars/Olympus&#39;; use a name such as Europe/London."


@pytest.fixture
def redis(app):
    connection = redis_connection(app)
    connection.flushdb()
    yield connection
    connection.flushdb()


def section(page, element_id):
    return page.split(f'id="{element_id}"')[1].split("</table>")[0]


def failing_job(redis):
    """A job that fails in a burst worker: a time zone that does not exist."""
    job = Queue("default", connection=redis).enqueue("bm.localtime.parse_zone", "Mars/Olympus")
    return job


def test_staff_are_refused_and_do_not_see_the_menu_item(staff, redis):
    assert staff.get(PAGE).status_code == 403
    assert staff.post(f"{PAGE}failed/x/retry").status_code == 403
    assert staff.post(f"{PAGE}failed/x/delete").status_code == 403
    assert "Background jobs" not in html(staff.get("/clients/"))


def test_a_failed_job_shows_its_error_and_can_be_retried_then_deleted(app, admin, redis):
    assert f'href="{PAGE}">Background jobs</a>' in html(admin.get("/clients/"))
    job = failing_job(redis)
    run_worker(app, burst=True)
    page = html(admin.get(PAGE))
    assert "<td>default</td><td>0</td><td>0</td><td>1</td><td>0</td><td>0</td>" in section(page, "queues")
    failed = section(page, "failed")
    assert "bm.localtime.parse_zone" in failed and job.id in failed and BAD_ZONE in failed
    assert admin.post(f"{PAGE}failed/{job.id}/retry", csrf=False).status_code == 400
    assert "is queued again" in html(admin.post(f"{PAGE}failed/{job.id}/retry", follow_redirects=True))
    page = html(admin.get(PAGE))
    assert "<td>default</td><td>1</td><td>0</td><td>0</td>" in section(page, "queues") and "No job has failed." in page
    run_worker(app, burst=True)  # it fails again: the zone still does not exist
    assert BAD_ZONE in section(html(admin.get(PAGE)), "failed")
    assert "was deleted" in html(admin.post(f"{PAGE}failed/{job.id}/delete", follow_redirects=True))
    assert "No job has failed." in html(admin.get(PAGE))
    with pytest.raises(NoSuchJobError):
        Job.fetch(job.id, connection=redis)
    for action in ("retry", "delete"):
        for job_id in (job.id, "not-a-job", "x" * 5000, "%FF%FE", "a%20b"):
            answer = admin.post(f"{PAGE}failed/{job_id}/{action}", follow_redirects=True)
            assert answer.status_code == 200 and "no longer among the failed jobs" in html(answer)


def test_a_live_worker_its_heartbeat_and_its_running_job_are_shown(app, admin, redis):
    assert "No worker is alive" in html(admin.get(PAGE))
    queue = Queue("default", connection=redis)
    running = queue.enqueue("time.sleep", 120)
    later = queue.enqueue_in(timedelta(hours=1), "time.sleep", 0)
    waits = queue.enqueue("time.sleep", 0, depends_on=running)
    with worker_process(app):
        wait_until_condition(lambda: len(background.started_jobs()) == 1)
        page = html(admin.get(PAGE))
        [worker] = background.workers()
        assert worker.name in section(page, "workers") and "busy" in section(page, "workers")
        assert worker.last_heartbeat is not None and running.id in section(page, "workers")
        assert running.id in section(page, "started") and "time.sleep" in section(page, "started")
        assert later.id in section(page, "scheduled") and waits.id in section(page, "deferred")
        # Waiting: whatever periodic jobs the worker queued behind the one it runs.
        assert re.search(r"<td>default</td><td>\d+</td><td>1</td><td>0</td><td>1</td><td>1</td>", section(page, "queues"))


def test_redis_out_of_reach_is_said_not_a_500(build_app, make_user):
    from bm.testing import Browser

    app = build_app(REDIS_URL="redis://127.0.0.1:1/0")
    make_user("boss@example.com", "admin")
    browser = Browser(app.test_client())
    browser.login("boss@example.com")
    response = browser.get(PAGE)
    assert response.status_code == 503 and "Redis cannot be reached" in html(response)
    answer = browser.post(f"{PAGE}failed/x/retry", follow_redirects=True)
    assert answer.status_code == 503 and "nothing was changed" in html(answer)
