"""Who may do what on the Xero pages: Link all, its Undo and Preview sync are an admin's, refused
on the server for staff (403, nothing changed) and not offered to them. Retry is in test_invoice_sync."""
import re

from sqlalchemy import func, select

from bm.extensions import db
from bm.jobs import redis_connection
from plugins.xero.models import ContactLink, LinkBatch, SyncRun

from .support import html

XERO = "/tools/integrations/xero"


def live_links():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ContactLink).where(ContactLink.archived_at.is_(None)))


def ticked_pairs(browser):
    return re.findall(r'name="pair" value="([^"]+)" checked', html(browser.get(f"{XERO}/link-all?threshold=95")))


def link_all(browser, pairs):
    return browser.post(f"{XERO}/link-all", {"pair": pairs, "use": "xero", "threshold": 95})


def test_staff_cannot_link_all_nor_see_it_and_an_admin_can(integrated, admin, colleague):
    pairs = ticked_pairs(admin)
    assert len(pairs) == 4
    assert "Link all at 95% or above" not in html(colleague.get(f"{XERO}/"))
    assert colleague.get(f"{XERO}/link-all?threshold=95").status_code == 403
    refused = colleague.post(f"{XERO}/link-all", {"pair": pairs, "use": "xero", "threshold": 95})
    assert refused.status_code == 403 and "Only an admin can do this." in html(refused)
    assert live_links() == 0 and db.session.scalar(select(func.count()).select_from(LinkBatch)) == 0
    assert "Link all at 95% or above" in html(admin.get(f"{XERO}/"))
    assert link_all(admin, pairs).status_code == 302 and live_links() == 4


def test_staff_cannot_undo_a_batch_nor_see_it_and_an_admin_can(integrated, admin, colleague):
    link_all(admin, ticked_pairs(admin))
    batch = db.session.scalar(select(LinkBatch))
    undo = f"{XERO}/link-all/{batch.id}/undo"
    assert undo in html(admin.get(f"{XERO}/")) and undo not in html(colleague.get(f"{XERO}/"))
    clients_before = sorted(repr(row) for row in db.session.execute(select(ContactLink.client_id, ContactLink.contact_id)))
    assert colleague.post(undo).status_code == 403
    db.session.expire_all()
    assert live_links() == 4 and db.session.get(LinkBatch, batch.id).undone_at is None
    assert sorted(repr(row) for row in db.session.execute(select(ContactLink.client_id, ContactLink.contact_id))) \
        == clients_before
    assert admin.post(undo).status_code == 302 and live_links() == 0


def test_staff_cannot_preview_a_sync_nor_see_the_button_and_an_admin_can(integrated, admin, colleague, queues):
    assert "Preview sync" not in html(colleague.get(f"{XERO}/"))
    runs = db.session.scalar(select(func.count()).select_from(SyncRun))
    refused = colleague.post(f"{XERO}/preview")
    assert refused.status_code == 403 and "Only an admin can do this." in html(refused)
    assert redis_connection().keys("rq:job:xero-preview-*") == []
    started = admin.post(f"{XERO}/preview")
    assert started.status_code == 302 and redis_connection().keys("rq:job:xero-preview-*")
    assert colleague.get(started.headers["Location"]).status_code == 403
    queues()
    assert "Preview sync" in html(admin.get(f"{XERO}/")) and "preview-new-clients" in html(admin.get(started.headers["Location"]))
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == runs
