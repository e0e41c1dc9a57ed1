"""Issue 14, client side: the sync holds up under each way real Xero may behave where its
documentation leaves the behaviour open (the sandbox's variants, see xero_sandbox/README.md)."""
import json
import re
from html import unescape
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from plugins.xero.api import xero_date
from plugins.xero.models import InvoiceLink, SyncRun, XeroConnection, XeroContact
from plugins.xero.oauth import client_for
from plugins.xero.pacing import APP_RESERVE
from plugins.xero.sync.changes import ChangedSince

from .support import client_named, html, link_of
from .test_invoice_sync import approve_in_xero, enable_invoice_sync, in_xero_ui, pay_in_xero, raise_invoice  # noqa: F401 (fixture)

XERO = "/tools/integrations/xero"


def last_run():
    return db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))


def connection():
    return db.session.scalar(select(XeroConnection))


def naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


# -- 1. If-Modified-Since: overlap, each record once, a stable order -------------------------------


@pytest.mark.parametrize("meaning", ["at_or_after", "after"])
def test_a_change_later_in_the_watermarks_own_second_is_read(integrated, admin, sync_now, in_xero, sandbox, meaning):
    sandbox.set_variants(modified_since=meaning)
    admin.post(f"{XERO}/contacts/{in_xero.contact_named('Riverside Yoga Studio')['ContactID']}/create")
    client = client_named("Riverside Yoga Studio")
    while True:  # a change not at the very start of its second, so an earlier moment shares it
        changed = in_xero.update_contact(link_of(client).contact_id, EmailAddress=f"{datetime.now():%S%f}@ry.example")
        updated = naive(xero_date(changed["UpdatedDateUTC"]))
        if updated.microsecond:
            break
    # As if the last pull's newest record was updated earlier in that same second.
    connection().contacts_modified_since = updated.replace(microsecond=0)
    db.session.commit()
    sync_now()
    assert client_named("Riverside Yoga Studio").email == changed["EmailAddress"]
    assert connection().contacts_modified_since == updated


def test_records_read_again_in_the_overlap_are_not_taken_twice(integrated, sync_now, sandbox):
    newest = db.session.scalar(select(func.max(XeroContact.updated_date_utc)))
    assert connection().contacts_modified_since == newest
    sandbox.reset_stats()
    sync_now()
    assert sandbox.stats()["calls"]["GET /api.xro/2.0/Contacts"] == 1
    assert last_run().counts.get("contacts_pulled") == 0, last_run().counts  # the overlap re-read the last second


def test_pages_are_read_in_an_order_a_change_cannot_shuffle(integrated, app, sandbox, in_xero):
    sandbox.seed(contacts=150)
    everyone = {c["ContactID"] for c in in_xero.contacts_all()}
    sandbox.set_variants(page_size_cap="100")
    pull = ChangedSince(client_for(connection()), "Contacts", "ContactID", {"includeArchived": "true"}, None)
    read = []
    for number, page in enumerate(pull.pages()):
        read += [c["ContactID"] for c in page]
        if number == 0:  # renamed between pages: in name order it would move and push another back
            in_xero.update_contact(page[0]["ContactID"], Name="Zzz Renamed While Paging")
    assert set(read) >= everyone and len(read) == len(set(read))


# -- 11. Paging by what Xero says ------------------------------------------------------------------


def test_a_xero_that_cuts_pages_at_100_is_read_to_the_last_page(integrated, sync_now, sandbox, in_xero):
    sandbox.seed(contacts=150)
    everyone = len(in_xero.contacts_all())
    sandbox.set_variants(page_size_cap="100")
    connection().contacts_modified_since = None
    db.session.commit()
    sandbox.reset_stats()
    sync_now()
    assert sandbox.stats()["calls"]["GET /api.xro/2.0/Contacts"] == -(-everyone // 100)
    assert db.session.scalar(select(func.count()).select_from(XeroContact)) == everyone


# -- 2. Idempotency-Key after a 5xx ----------------------------------------------------------------

AFTER_5XX = ["committed", "forget", "replay"]


def written(sandbox, endpoint):
    """The Idempotency-Keys of the writes the sandbox received at ``endpoint``, in order."""
    return [w["idempotency_key"] for w in sandbox.stats()["writes"] if w["endpoint"] == endpoint]


@pytest.mark.parametrize("after_5xx", AFTER_5XX)
def test_a_contact_saved_but_answered_500_is_read_back_not_written_twice(
        integrated, admin, sync_now, sandbox, in_xero, after_5xx):
    sandbox.set_variants(idempotency_after_5xx=after_5xx)
    admin.post("/clients/new", {"name": "Fresh Start Bakery"})
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "commit_then_500": 1.0}])
    sandbox.reset_stats()
    sync_now()
    assert len(written(sandbox, "PUT /api.xro/2.0/Contacts")) == 1  # not repeated with its key
    contacts = [c for c in in_xero.contacts() if c["Name"] == "Fresh Start Bakery"]
    assert len(contacts) == 1
    assert link_of(client_named("Fresh Start Bakery")).contact_id == contacts[0]["ContactID"]  # within the run


@pytest.mark.parametrize("after_5xx", AFTER_5XX)
def test_a_batch_xero_failed_before_saving_goes_again_with_a_new_key(
        integrated, admin, sync_now, sandbox, in_xero, after_5xx):
    sandbox.set_variants(idempotency_after_5xx=after_5xx)
    for name in ("Fresh Start Bakery", "Second Street Books"):
        admin.post("/clients/new", {"name": name})
    sandbox.set_faults([{"endpoint": "PUT /api.xro/2.0/Contacts", "error_500": 1.0}])
    sandbox.reset_stats()
    page = sync_now()
    keys = written(sandbox, "PUT /api.xro/2.0/Contacts")
    assert len(keys) == 3 and len(set(keys)) == 3, keys  # each resend after reading back has its own key
    assert "will be sent again on the next sync" in page
    sandbox.set_faults()
    sync_now()
    for name in ("Fresh Start Bakery", "Second Street Books"):
        assert [c["Name"] for c in in_xero.contacts()].count(name) == 1
        assert link_of(client_named(name)) is not None


# -- 9. MergedToContactID, which only paged and single reads carry ----------------------------------


def test_a_link_whose_contact_was_merged_in_xero_is_not_restored_and_says_why(
        integrated, admin, integrate, in_xero, xero_user, queues):
    riverside = in_xero.contact_named("Riverside Yoga Studio")["ContactID"]
    admin.post(f"{XERO}/contacts/{riverside}/create")
    admin.post(f"{XERO}/disconnect", {"confirm": "Demo Company (UK)"})
    merged = xero_user.http.post(f"{xero_user.base_url}/Contacts/Merge/{riverside}",
                                 data={"merge_into": "Kestrel Engineering Ltd"})
    assert "merged into Kestrel Engineering Ltd" in merged.text
    integrate(first_sync=False)
    admin.post(f"{XERO}/links/recover")
    queues()
    run = db.session.scalar(select(SyncRun).where(SyncRun.trigger == "recovery"))
    assert [e["message"] for e in run.errors] == [
        "Riverside Yoga Studio: not restored, its Xero contact was merged into another contact in Xero."]


# -- 5. An organisation offline for a while ---------------------------------------------------------


def test_an_offline_organisation_stops_the_run_and_syncing_resumes_by_itself(
        integrated, admin, sync_now, sandbox, in_xero, app):
    from bm.jobs import redis_connection
    from bm.models import utcnow

    admin.post("/clients/new", {"name": "Fresh Start Bakery"})
    sandbox.set_variants(offline_seconds=3600)
    sandbox.reset_stats()
    sync_now()
    run = last_run()
    assert run.state == "stopped" and re.match(r"Xero is unavailable; syncing resumes at \d\d:\d\d", run.message)
    assert sandbox.stats()["total_calls"] == 1  # no retries against an organisation that is offline
    sync_now()
    assert last_run().state == "skipped" and "Xero is unavailable; syncing resumes at" in last_run().message
    assert sandbox.stats()["total_calls"] == 1
    sandbox.set_variants(offline_seconds=0)
    redis_connection(app).set(f"bm:xero:unavailable:{connection().tenant_id}",
                              (utcnow() - timedelta(seconds=1)).isoformat())  # as if the pause had passed
    sync_now()
    assert last_run().state == "finished" and in_xero.contact_named("Fresh Start Bakery") is not None


# -- 6. 429s: waited out as told, with jitter, without using up the retries ----------------------------


def test_429s_are_waited_out_without_using_up_the_retries(integrated, sandbox):
    xero = client_for(connection())
    xero.retries = 1
    xero.pacer.reserve = -1  # meet the limit rather than pace under it
    waits = []

    def sleep(seconds):  # Xero's clock moves on while we wait
        waits.append(seconds)
        sandbox.advance_clock(seconds / 2)

    xero.sleep = sleep
    sandbox.set_limits(per_minute=1)
    xero.get("Organisation")  # the minute's allowance is used up
    sandbox.reset_stats()
    waits.clear()
    assert xero.get("Organisation")["Organisations"][0]["Name"] == "Demo Company (UK)"
    assert sandbox.stats()["throttled"] == len(waits) > xero.retries + 1
    assert all(wait != int(wait) for wait in waits)  # jittered, not on the second Xero named


# -- 7. Pacing on every limit Xero reports: the app-wide minute is shared through Redis -------------


@pytest.fixture
def two_processes(integrated, sandbox):
    """Two clients of the organisation, as two worker processes: a pacer each, one Redis, one
    clock that moves (Xero's with it) when either waits."""
    sandbox.advance_clock(61)  # a fresh app-wide minute
    now, waits = [1000.0], []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds
        sandbox.advance_clock(seconds)

    clients = [client_for(connection()), client_for(connection())]
    for xero in clients:
        xero.sleep, xero.app_pause.clock = sleep, lambda: now[0]
    sandbox.reset_stats()
    return clients, waits


def test_an_app_wide_minute_nearly_spent_holds_the_other_processes_too(two_processes, sandbox):
    (first, second), waits = two_processes
    sandbox.set_limits(app_per_minute=APP_RESERVE + 3)
    for _ in range(3):  # the third answer leaves APP_RESERVE: the pause is noted in Redis
        first.get("Organisation")
    assert waits == []
    second.get("Organisation")  # a process that has not seen the header waits all the same
    assert waits == [61.0] and sandbox.stats()["throttled"] == 0


def test_an_appminute_429_holds_the_other_processes_for_its_retry_after(two_processes, sandbox):
    (first, second), waits = two_processes
    first.app_pacer.reserve = -1  # meet the limit rather than pace under it
    sandbox.set_limits(app_per_minute=2)
    first.get("Organisation")
    first.get("Organisation")
    sleep = first.sleep

    def meanwhile(seconds):  # while the first waits out its 429, the second process calls
        first.sleep = sleep
        second.get("Organisation")
        sleep(seconds)

    first.sleep = meanwhile
    first.get("Organisation")
    assert sandbox.stats()["throttled"] == 1  # only the first's: the second waited instead
    assert 60 <= waits[0] <= 66  # Retry-After (the minute's seconds left), with jitter


def test_preview_says_how_many_days_a_sync_beyond_todays_allowance_takes(integrated, admin, queues, sandbox):
    from .test_preview import preview

    services.import_clients([{"name": f"Daily Plan {n:03d}"} for n in range(120)])
    db.session.commit()
    sandbox.set_limits(per_day=sandbox.stats()["per_tenant"][connection().tenant_id.lower()] + 4)
    page = unescape(preview(admin, queues))
    # 2 reads (as the preview made) + 3 batches of 50 new clients; 2 calls left after the preview's 2.
    assert ("This sync needs about 5 calls to Xero and Xero allows this organisation 2 more today. It stops when "
            "they are used up and carries on by itself each time Xero's day starts again: about 2 days in all at "
            "5,000 calls a day, or 2 on Xero's Starter plan (1,000 a day).") in page


# -- 8. Invoices read only to mark customers are read as summaries -----------------------------------


def test_invoices_read_only_for_customer_marking_are_summaries(integrated, admin, in_xero, app):
    from plugins.xero import run_state
    from plugins.xero.sync import engine
    from plugins.xero.sync.invoices import pull_invoices

    in_xero.raise_invoice(in_xero.contact_named("Oakley Joinery")["ContactID"])
    xero = client_for(connection())
    asked = []
    xero.http.hooks["response"].append(lambda response, **_kw: asked.append(response.request.url))
    run = run_state.queued(connection().tenant_id, "manual")
    db.session.commit()
    pull_invoices(xero, connection(), engine.RunRecorder(run))
    assert [url for url in asked if "/Invoices" in url and "summaryOnly=true" not in url] == []
    assert db.session.scalar(select(XeroContact.is_customer).where(XeroContact.name == "Oakley Joinery")) is True


# -- 12. What a write returns is checked before it is believed ----------------------------------------


class TamperingXero:
    """Passes every call through to the sandbox over HTTP, changing the JSON answers of the
    endpoints the test names (as a Xero that saved something else would answer)."""

    def __init__(self, target):
        self.target, self.changes = target, {}
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wsgi(self, environ, start_response):
        request = Request(environ)
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        answer = requests.request(request.method, f"{self.target}{request.path}{query}", data=request.get_data(),
                                  headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
                                  allow_redirects=False, timeout=30)
        body, change = answer.content, self.changes.get(f"{request.method} {request.path}")
        if change is not None and answer.status_code == 200:
            data = answer.json()
            change(data)
            body = json.dumps(data).encode()
        headers = [(k, v) for k, v in answer.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")]
        return Response(body, answer.status_code, headers)(environ, start_response)


@pytest.fixture
def tampering(integrated, sandbox, app):
    proxy = TamperingXero(sandbox.url)
    app.config["XERO_BASE_URL"] = proxy.url
    yield proxy
    proxy.server.shutdown()


def test_an_update_answered_with_another_contact_is_an_error_for_that_client(tampering, admin, sync_now, in_xero):
    riverside = in_xero.contact_named("Riverside Yoga Studio")["ContactID"]
    admin.post(f"{XERO}/contacts/{riverside}/create")
    client = client_named("Riverside Yoga Studio")
    other = in_xero.contact_named("Kestrel Engineering Ltd")["ContactID"]
    tampering.changes["POST /api.xro/2.0/Contacts"] = lambda data: data["Contacts"][0].update(ContactID=other)
    admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "version": client.version,
                                              "email": "hello@riverside.example"})
    sync_now()
    assert any("Xero answered with another contact" in e["message"] for e in last_run().errors)
    assert db.session.get(XeroContact, other).data.get("EmailAddress") != "hello@riverside.example"
    assert "Xero answered with another contact" in html(admin.get(f"/clients/{client.id}"))


def test_an_invoice_xero_totals_differently_and_a_payment_without_amount_wait_for_the_user(
        tampering, admin, sync_now, in_xero, in_xero_ui):
    admin.post(f"{XERO}/contacts/{in_xero.contact_named('Riverside Yoga Studio')['ContactID']}/create")
    enable_invoice_sync(admin, in_xero)
    invoice = raise_invoice(admin, client_named("Riverside Yoga Studio"))
    number, total = invoice.number, invoice.total
    tampering.changes["PUT /api.xro/2.0/Invoices"] = lambda data: data["Invoices"][0].update(Total=0.0)
    sync_now()
    assert any(f"Xero refused invoice {number}: Xero saved it with a Total of 0.00 where the practice has {total}"
               in e["message"] for e in last_run().errors), last_run().errors
    sync_now()
    assert len([i for i in in_xero.call("GET", "Invoices", params={"page": 1})["Invoices"]
                if i.get("Reference") == number]) == 1  # linked all the same: not sent twice
    xero_id = db.session.scalar(select(InvoiceLink.xero_invoice_id).where(InvoiceLink.invoice_id == invoice.id))
    approve_in_xero(in_xero_ui, xero_id)
    sync_now()
    admin.post(f"/invoices/{invoice.id}/payments", {"date": "2026-11-24", "amount": "60.00", "reference": "Cheque"})
    tampering.changes["PUT /api.xro/2.0/Payments"] = lambda data: data["Payments"][0].pop("Amount")
    sync_now()
    assert any("Xero saved it with no Amount where the practice has 60.00" in e["message"] for e in last_run().errors)


def test_a_xero_payment_sent_without_an_amount_is_reported_in_words_not_recorded(
        tampering, admin, sync_now, in_xero, in_xero_ui):
    admin.post(f"{XERO}/contacts/{in_xero.contact_named('Riverside Yoga Studio')['ContactID']}/create")
    enable_invoice_sync(admin, in_xero)
    invoice = raise_invoice(admin, client_named("Riverside Yoga Studio"))
    sync_now()
    xero_id = db.session.scalar(select(InvoiceLink.xero_invoice_id).where(InvoiceLink.invoice_id == invoice.id))
    approve_in_xero(in_xero_ui, xero_id)
    pay_in_xero(in_xero_ui, in_xero, xero_id, "25.00", day="2026-11-25")

    def without_amounts(data):
        for found in data["Invoices"]:
            for payment in found.get("Payments") or []:
                payment.pop("Amount", None)

    tampering.changes["GET /api.xro/2.0/Invoices"] = without_amounts
    sync_now()
    messages = [e["message"] for e in last_run().errors]
    assert any(f"A payment in Xero on invoice {invoice.number} dated 25 Nov 2026 (reference BACS) could not be "
               "recorded here: Xero sent it without an amount." in m for m in messages), messages
    assert not any("None" in m for m in messages)
    db.session.expire_all()
    assert db.session.get(type(invoice), invoice.id).payments == []
