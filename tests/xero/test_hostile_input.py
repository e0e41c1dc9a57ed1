"""The Xero plugin's answers to the hostile inputs of issue 13: a clear message or a 404, never a 500."""
import base64
import hashlib
import hmac

import pytest
from sqlalchemy import func, select

from bm.extensions import db
from plugins.xero.models import ContactLink, XeroSettings

from .support import client_named, contact_id_of, flashes, html

XERO = "/tools/integrations/xero"
HUGE = "99999999999999999999"  # beyond 64 bits
KEY = "webhook-signing-key-for-tests"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "XERO_WEBHOOK_KEY": KEY}


def live_links():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ContactLink).where(ContactLink.archived_at.is_(None)))


@pytest.mark.parametrize("url", [f"{XERO}/runs/{HUGE}", f"{XERO}/history/runs/{HUGE}", f"{XERO}/runs/2147483648"])
def test_run_ids_beyond_the_columns_range_are_not_found(integrated, admin, url):
    assert admin.get(url).status_code == 404


@pytest.mark.parametrize("url", [f"{XERO}/link-all/{HUGE}/undo", f"{XERO}/invoices/{HUGE}/retry",
                                 f"{XERO}/clients/{HUGE}/unlink", f"{XERO}/clients/{HUGE}/add",
                                 f"{XERO}/clients/{HUGE}/link/some-contact"])
def test_posts_to_ids_beyond_the_columns_range_are_not_found(integrated, admin, url):
    assert admin.post(url).status_code == 404


@pytest.mark.parametrize("query", ["record_id=²", f"record_id={HUGE}", "run=٣", f"run={HUGE}", "since=9999-12-31",
                                   "until=10000-01-01", "since=²"])
def test_history_filters_with_unicode_digits_or_huge_numbers_are_ignored(integrated, admin, query):
    every = html(admin.get(f"{XERO}/history/changes"))
    page = admin.get(f"{XERO}/history/changes?{query}")
    assert page.status_code == 200 and html(page).count("<tr") == every.count("<tr")


def test_link_all_pairs_with_unicode_digits_link_nothing(integrated, admin):
    contact = contact_id_of("Northwind Traders")
    page = html(admin.post(f"{XERO}/link-all", {"pair": [f"{contact}|²", f"{contact}|{HUGE}"], "use": "xero",
                                                "threshold": "١٢"}, follow_redirects=True))
    assert ("error", "Tick at least one pair to link.") in flashes(page) and live_links() == 0


@pytest.mark.parametrize("threshold", ["١٢", "²", HUGE, "-5", "1e3"])
def test_link_all_thresholds_that_are_not_ascii_whole_numbers_fall_back_to_95(integrated, admin, threshold):
    assert 'value="95"' in html(admin.get(f"{XERO}/link-all?threshold={threshold}"))


@pytest.mark.parametrize("client_id", ["²", HUGE, "-1", "x" * 10_000])
def test_merge_with_an_unreadable_client_id_asks_for_the_client(integrated, admin, client_id):
    page = admin.post(f"{XERO}/contacts/{contact_id_of('Northwind Traders')}/merge",
                      {"client_id": client_id, "use": "xero"}, follow_redirects=True)
    assert ("error", "Choose the practice client to merge with.") in flashes(html(page)) and live_links() == 0


@pytest.mark.parametrize("contact_id", ["x" * 10_000, "a%0Db", "%E2%80%AE", "%00"])
def test_a_contact_id_no_organisation_could_hold_links_nothing(integrated, admin, contact_id):
    client = client_named("Northwind Traders LLP")
    for response in (admin.get(f"{XERO}/contacts/{contact_id}/merge?client_id={client.id}"),
                     admin.post(f"{XERO}/contacts/{contact_id}/merge", {"client_id": client.id, "use": "xero"}),
                     admin.post(f"{XERO}/clients/{client.id}/link/{contact_id}"),
                     admin.post(f"{XERO}/contacts/{contact_id}/create")):
        assert response.status_code == 302
    assert "is not one of Demo Company (UK)&#39;s contacts" in html(admin.get(f"{XERO}/"))
    assert live_links() == 0


@pytest.mark.parametrize("minutes", ["²", "١٢", HUGE, "1.5", ""])
def test_a_sync_interval_that_is_not_an_ascii_whole_number_gets_a_message(integrated, admin, minutes):
    page = admin.post(f"{XERO}/settings", {"client_sync_enabled": "1", "sync_interval_minutes": minutes})
    assert page.status_code == 400 and "Enter a number of minutes from 0 (off) to 1440." in html(page)
    db.session.expire_all()
    assert db.session.scalar(select(XeroSettings.sync_interval_minutes)) == 15


def signed(body):
    return base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize("signature", ["é" * 44, "\u00ff", signed(b"{}")[:-1] + "\u00e9"])
def test_a_non_ascii_webhook_signature_is_a_401(web, signature):
    response = web.client.post(f"{XERO}/webhooks", data=b"{}", headers={"x-xero-signature": signature})
    assert response.status_code == 401


def test_a_signed_webhook_body_nested_too_deeply_is_refused(integrated, web):
    body = b"[" * 100_000 + b"]" * 100_000
    response = web.client.post(f"{XERO}/webhooks", data=body, headers={"x-xero-signature": signed(body)},
                               content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("state", ["é", "\u202e" * 50, "ü" * 10_000])
def test_an_oauth_callback_with_a_non_ascii_state_is_refused(admin, state):
    admin.get(f"{XERO}/connect")  # a state is waiting in the session
    page = html(admin.get(f"{XERO}/callback", query_string={"state": state, "code": "x"}, follow_redirects=True))
    assert "did not match this browser" in page


def test_an_oauth_error_too_long_to_show_is_cut(admin):
    page = html(admin.get(f"{XERO}/callback", query_string={"error": "e" * 10_000, "state": "x"}, follow_redirects=True))
    assert f"({'e' * 100})" in page and "e" * 101 not in page
