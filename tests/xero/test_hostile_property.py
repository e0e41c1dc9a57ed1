"""The hostile-input property (tests/hostile.py) over the Xero plugin's pages with an organisation
connected, so hostile values reach past "not integrated" into the lookups, forms and Xero calls:
no 5xx, a refusal changes nothing, and staff are refused every admin-only action."""
import pytest
from sqlalchemy import select

from bm.extensions import db
from bm.models import Invoice
from plugins.xero.models import ContactLink, LinkBatch, SyncRun, XeroContact
from plugins.xero.views import URL_PREFIX
from tests.hostile import walk

from .support import client_named, contact_id_of


@pytest.fixture
def world(integrated, admin, make_user, make_invoice):
    """Connected to Demo Company (UK) after its first sync, with a Link all batch, a Merge, an
    invoice and a Preview sync waiting, so each of the plugin's URLs has a real id to start from."""
    make_user("staff@example.com")
    admin.post(f"{URL_PREFIX}/link-all", {"pair": f"{contact_id_of('Northwind Traders')}|"
                                                  f"{client_named('Northwind Traders LLP').id}",
                                          "use": "practice", "threshold": 95})
    linked = client_named("Northwind Traders LLP")
    invoice = make_invoice(client=linked)
    job_id = admin.post(f"{URL_PREFIX}/preview").headers["Location"].rsplit("/", 1)[1]
    customers = db.session.scalars(select(XeroContact.contact_id).where(XeroContact.is_customer.is_(True))).all()
    assert db.session.scalar(select(ContactLink.client_id)) == linked.id
    return {"client_id": [linked.id, client_named("Oakley Joinery").id], "contact_id": customers[:2],
            "run_id": db.session.scalars(select(SyncRun.id)).all(), "batch_id": db.session.scalars(select(LinkBatch.id)).all(),
            "invoice_id": [invoice.id], "xero_invoice_id": ["00000000-0000-0000-0000-000000000000"],
            "job_id": [job_id]}


# An admin's alone (README, Security): connecting and disconnecting, Integration Settings, getting
# links back, and what rewrites client data or acts for the whole practice: Link all and its
# Undo, Retry, Preview sync. The walk checks staff are refused each of them.
ADMIN_ONLY = {"xero.connect", "xero.callback", "xero.organisation", "xero.settings", "xero.disconnect",
              "xero_recovery.recover", "xero_linking.review_bulk", "xero_linking.link_all", "xero_linking.undo",
              "xero.retry_invoice", "xero_history.preview_start", "xero_history.preview_show"}


def xero_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.partition(".")[0].startswith("xero")]


def test_the_admin_only_xero_actions_are_exactly_the_decided_ones(app):
    marked = {rule.endpoint for rule in xero_rules(app) if getattr(app.view_functions[rule.endpoint], "bm_admin_only", False)}
    assert marked == ADMIN_ONLY


@pytest.mark.parametrize("who", ["anonymous", "staff", "admin"])
def test_no_input_to_the_xero_pages_gives_a_5xx_and_a_refusal_changes_nothing(app, world, who):
    walked, _sent = walk(app, world, who, prefix=URL_PREFIX)
    assert walked == sum(len(rule.methods - {"HEAD", "OPTIONS"}) for rule in xero_rules(app))
