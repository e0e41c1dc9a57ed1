"""An organisation connected earlier stays out of the current one: its contacts, left in the
cache, cannot be linked, and its sync runs (and their changes) are not shown (org A = Demo Company (UK), then B = NZ)."""
import pytest
from sqlalchemy import func, select

from bm.models import Client
from bm.extensions import db
from plugins.xero.models import ContactLink, LinkBatch, SyncRun, XeroContact

from .support import client_named, contact_id_of, flashes, html

XERO = "/tools/integrations/xero"
REFUSED = "That Xero contact is not one of Demo Company (NZ)'s contacts, so nothing was linked."


@pytest.fixture
def org_b(integrate, demo_clients, admin):
    """Integrated with org A and through its first sync, then disconnected, then integrated with org B."""
    first = integrate()
    admin.post(f"{XERO}/disconnect", {"confirm": first.organisation_name})
    return first.tenant_id, integrate("Demo Company (NZ)")


def nothing_linked():
    db.session.expire_all()
    return not db.session.scalar(select(func.count()).select_from(ContactLink).where(ContactLink.archived_at.is_(None)))


def test_a_contact_of_the_earlier_organisation_cannot_be_linked_under_the_current_one(org_b, admin):
    tenant_a, connection = org_b
    contact_a = contact_id_of("Northwind Traders")
    assert db.session.get(XeroContact, contact_a).tenant_id == tenant_a != connection.tenant_id
    client = client_named("Northwind Traders LLP")
    clients = db.session.scalar(select(func.count()).select_from(Client))
    attempts = [
        admin.get(f"{XERO}/contacts/{contact_a}/merge?client_id={client.id}", follow_redirects=True),
        admin.post(f"{XERO}/contacts/{contact_a}/merge", {"client_id": client.id, "use": "xero"}, follow_redirects=True),
        admin.post(f"{XERO}/clients/{client.id}/link/{contact_a}", follow_redirects=True),
        admin.post(f"{XERO}/contacts/{contact_a}/create", follow_redirects=True),
    ]
    for page in attempts:
        assert ("error", REFUSED) in flashes(html(page))
    assert nothing_linked() and db.session.scalar(select(func.count()).select_from(Client)) == clients
    link_all = admin.post(f"{XERO}/link-all", {"pair": f"{contact_a}|{client.id}", "use": "xero", "threshold": 95},
                          follow_redirects=True)
    assert ("warning", "Not linked: A pair on the review screen no longer exists.") in flashes(html(link_all))
    assert nothing_linked() and db.session.scalar(select(func.count()).select_from(LinkBatch)) == 0


def test_a_contact_of_the_current_organisation_links(org_b, admin):
    _tenant_a, connection = org_b
    contact_b = db.session.scalar(select(XeroContact.contact_id).where(
        XeroContact.tenant_id == connection.tenant_id, XeroContact.is_customer.is_(True)))
    client = client_named("Northwind Traders LLP")
    admin.post(f"{XERO}/clients/{client.id}/link/{contact_b}")
    db.session.expire_all()
    assert db.session.scalar(select(ContactLink.contact_id).where(ContactLink.archived_at.is_(None))) == contact_b


def test_sync_runs_of_the_earlier_organisation_are_not_shown(org_b, admin):
    tenant_a, connection = org_b
    run_a = db.session.scalar(select(SyncRun).where(SyncRun.tenant_id == tenant_a))
    run_b = db.session.scalar(select(SyncRun).where(SyncRun.tenant_id == connection.tenant_id))
    assert admin.get(f"{XERO}/history/runs/{run_a.id}").status_code == 404
    assert admin.get(f"{XERO}/runs/{run_a.id}").status_code == 404
    assert admin.get(f"{XERO}/history/changes?run={run_a.id}").status_code == 404
    listed = html(admin.get(f"{XERO}/history"))
    assert f"/history/runs/{run_a.id}\"" not in listed and f"/history/runs/{run_b.id}\"" in listed
    assert admin.get(f"{XERO}/history/runs/{run_b.id}").status_code == 200
    assert admin.get(f"{XERO}/runs/{run_b.id}").status_code == 200
    assert admin.get(f"{XERO}/history/changes?run={run_b.id}").status_code == 200
