"""The app-wide banner when the Xero integration needs someone: in words, on every page, linking to the fix."""
from datetime import timedelta

from sqlalchemy import func, select, update

from bm import background
from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import utcnow
from plugins.xero.attention import FAILED_RUNS
from plugins.xero.models import OutboxEntry, XeroConnection
from plugins.xero import run_state
from support import html, wait_until_condition, worker_process

PAGES = ("/clients/", "/invoices/", "/tools/integrations")
FAILING = "did not finish"


def banners(browser, url="/clients/"):
    page = html(browser.get(url))
    return [part.split("</div>")[0] for part in page.split('class="flash flash-warning attention"')[1:]]


def test_failed_syncs_raise_a_banner_once_enough_fail_in_a_row_until_one_finishes(integrated, sandbox, sync_now,
                                                                                    admin, colleague):
    sandbox.set_faults([{"endpoint": "*", "error_500": 1.0}])
    for _ in range(FAILED_RUNS - 1):
        sync_now()
    assert banners(admin) == []
    sync_now()
    for browser in (admin, colleague):
        for url in PAGES:
            [banner] = banners(browser, url)
            assert f"The last {FAILED_RUNS} syncs with Xero did not finish." in banner
            assert 'href="/tools/integrations/xero/history">Sync history</a>' in banner
    sandbox.set_faults()
    sync_now()
    assert banners(admin) == banners(colleague) == []


def test_a_disconnected_organisation_says_so_with_its_name_escaped_and_reconnect_for_admins(
        integrated, xero_user, sync_now, admin, colleague):
    xero_user.disconnect_app()
    sync_now()
    db.session.execute(update(XeroConnection).values(organisation_name="<script>Acme & Co</script>"))
    db.session.commit()
    [banner] = banners(admin)
    assert "Xero disconnected &lt;script&gt;Acme &amp; Co&lt;/script&gt;:" in banner and "<script>" not in banner
    assert '<a href="/tools/integrations/xero/connect">Reconnect</a>' in banner
    [banner] = banners(colleague)
    assert "Reconnect<" not in banner and '<a href="/tools/integrations/xero/">Xero integration</a>' in banner


def test_an_abandoned_run_is_shown_until_a_later_run_finishes(integrated, admin, sync_now):
    run_state.finish(run_state.queued(integrated.tenant_id, "manual"), "abandoned", run_state.ABANDONED)
    [banner] = banners(admin, "/invoices/")
    assert "stopped without finishing because its background worker was stopped" in banner
    assert 'href="/tools/jobs/">Background jobs</a>' in banner
    sync_now()
    assert banners(admin) == []


def test_the_daily_limit_says_when_syncing_resumes(integrated, admin):
    integrated.daily_limit_until = utcnow() + timedelta(hours=2)
    db.session.commit()
    [banner] = banners(admin)
    assert "Xero&#39;s daily limit for Demo Company (UK) is reached; syncing resumes at" in banner
    integrated.daily_limit_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert banners(admin) == []


def test_changes_waiting_with_no_worker_alive_say_how_many(app, integrated, admin, colleague, sandbox):
    admin.post("/clients/new", {"name": "Waiting One"})
    admin.post("/clients/new", {"name": "Waiting Two"})
    assert banners(admin) == []  # not waited two minutes yet
    db.session.execute(update(OutboxEntry).values(created_at=utcnow() - timedelta(minutes=3)))
    db.session.commit()
    [banner] = banners(admin)
    assert "2 changes are waiting to go to Xero, and no background worker is running." in banner
    assert 'href="/tools/jobs/">Background jobs</a>' in banner
    assert "Background jobs" not in banners(colleague)[0]
    redis_connection(app).set("bm:periodic:xero-sync", "1", ex=600)  # the worker must not sync them away
    with worker_process(app, XERO_BASE_URL=sandbox.url, XERO_CLIENT_ID="sandbox-app",
                        XERO_CLIENT_SECRET="sandbox-secret"):
        wait_until_condition(lambda: background.workers() != [])
        assert len(banners(admin)) == 1  # the answer is kept for a while: one Redis call per process, not per page
        app.extensions["bm.jobs"]["alive_checked"] = 0
        assert banners(admin) == []
    assert db.session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "pending")) == 2
