"""Lifecycle hooks: each fires once per change with the right arguments, inside the transaction.

A plugin is a temporary object registered on the app's plugin manager. Every lifecycle hook is
also checked never to reach a disabled plugin, to survive a raising plugin (savepoint), and to
commit or roll back a plugin's staged rows together with the change.
"""
import io
import logging
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from bm import hookimpl, services
from bm.extensions import db
from bm.models import Client, Invoice, PluginState
from support import client_named, html

LIFECYCLE_HOOKS = ("client_created", "client_updated", "client_archived", "clients_imported",
                   "invoice_created", "invoice_updated", "payment_recorded")


def stage(name):
    """Stage a row the way a plugin stages an outbox entry (PluginState stands in for its table)."""
    db.session.add(PluginState(name=name, enabled=True))


def staged_rows():
    db.session.expire_all()
    return set(db.session.scalars(select(PluginState.name).where(PluginState.name.like("staged:%"))))


class Recorder:
    """Records every lifecycle call and stages one row per call."""

    def __init__(self, label="recorder", fail=False):
        self.label, self.fail, self.calls = label, fail, []

    def _seen(self, hook, **kwargs):
        self.calls.append((hook, kwargs))
        stage(f"staged:{self.label}:{hook}:{len(self.calls)}")
        if self.fail:
            raise RuntimeError(f"{self.label} broke in {hook}")

    @hookimpl
    def client_created(self, client, source):
        self._seen("client_created", client=client, source=source)

    @hookimpl
    def client_updated(self, client, changes, source):
        self._seen("client_updated", client=client, changes=changes, source=source)

    @hookimpl
    def client_archived(self, client):
        self._seen("client_archived", client=client)

    @hookimpl
    def clients_imported(self, clients):
        self._seen("clients_imported", clients=clients)

    @hookimpl
    def invoice_created(self, invoice, source):
        self._seen("invoice_created", invoice=invoice, source=source)

    @hookimpl
    def invoice_updated(self, invoice, changes, source):
        self._seen("invoice_updated", invoice=invoice, changes=changes, source=source)

    @hookimpl
    def payment_recorded(self, payment, source):
        self._seen("payment_recorded", payment=payment, source=source)

    def hooks(self):
        return [hook for hook, _ in self.calls]


@pytest.fixture
def recorder(register_plugin):
    return register_plugin(Recorder(), "recorder")


@pytest.fixture
def world(make_client, make_invoice):
    """A client, a draft invoice and an approved one, made before any test plugin is registered."""
    client = make_client(name="Acme", email="a@acme.test")
    draft = make_invoice(client=client)
    approved = make_invoice(client=client)
    services.approve_invoice(approved)
    db.session.commit()
    return {"client": client, "draft": draft, "approved": approved}


# One user action per lifecycle hook, through the web like a user would do it.
def create_client(browser, world):
    return browser.post("/clients/new", {"name": "Newco Ltd", "email": "hi@newco.test"}, follow_redirects=True)


def update_client(browser, world):
    client = world["client"]
    return browser.post(f"/clients/{client.id}/edit", {**client.as_dict(), "phone": "0113 000 0000",
                                                       "version": client.version}, follow_redirects=True)


def archive_client(browser, world):
    return browser.post(f"/clients/{world['client'].id}/archive", follow_redirects=True)


def import_clients(browser, world):
    preview = browser.post("/clients/import", {"file": (io.BytesIO(b"Name,Email\nImp One,1@imp.test\nImp Two,\n"),
                                                        "c.csv")}, content_type="multipart/form-data")
    payload = re.search(r'name="payload" value="([^"]*)"', html(preview)).group(1)
    return browser.post("/clients/import/confirm", {"payload": payload}, follow_redirects=True)


def create_invoice(browser, world):
    return browser.post(f"/invoices/new?client_id={world['client'].id}",
                        {"lines-0-description": "Tax return", "lines-0-quantity": "1",
                         "lines-0-unit_price": "250", "lines-0-tax_rate": "20"}, follow_redirects=True)


def approve_invoice(browser, world):
    return browser.post(f"/invoices/{world['draft'].id}/approve", follow_redirects=True)


def record_payment(browser, world):
    return browser.post(f"/invoices/{world['approved'].id}/payments", {"amount": "20", "reference": "Cheque"},
                        follow_redirects=True)


ACTIONS = {
    "client_created": create_client, "client_updated": update_client, "client_archived": archive_client,
    "clients_imported": import_clients, "invoice_created": create_invoice, "invoice_updated": approve_invoice,
    "payment_recorded": record_payment,
}


def did_the_change_happen(hook, world):
    db.session.expire_all()
    return {
        "client_created": lambda: client_named("Newco Ltd") is not None,
        "client_updated": lambda: db.session.get(Client, world["client"].id).phone == "0113 000 0000",
        "client_archived": lambda: db.session.get(Client, world["client"].id).archived,
        "clients_imported": lambda: client_named("Imp One") is not None and client_named("Imp Two") is not None,
        "invoice_created": lambda: db.session.scalar(select(Invoice).where(Invoice.total == Decimal("300.00"))) is not None,
        "invoice_updated": lambda: db.session.get(Invoice, world["draft"].id).status == "awaiting_payment",
        "payment_recorded": lambda: db.session.get(Invoice, world["approved"].id).amount_paid == Decimal("20.00"),
    }[hook]()


# -- each hook's own arguments ------------------------------------------------------------------


def test_hook_client_created(admin, world, recorder):
    create_client(admin, world)
    assert recorder.hooks() == ["client_created"]
    kwargs = recorder.calls[0][1]
    assert kwargs["client"].name == "Newco Ltd" and kwargs["client"].id is not None
    assert kwargs["source"] == "user"


def test_hook_client_created_reports_a_plugin_source(world, recorder):
    services.create_client({"name": "From Xero"}, source="xero")
    assert recorder.calls[0][1]["source"] == "xero"
    db.session.rollback()


def test_hook_client_updated(admin, world, recorder):
    update_client(admin, world)
    assert recorder.hooks() == ["client_updated"]
    kwargs = recorder.calls[0][1]
    assert kwargs["client"].id == world["client"].id
    assert kwargs["changes"] == {"phone": ("", "0113 000 0000")}
    assert kwargs["source"] == "user"


def test_hook_client_updated_not_fired_when_nothing_changed(admin, world, recorder):
    client = world["client"]
    admin.post(f"/clients/{client.id}/edit", {**client.as_dict(), "version": client.version})
    assert recorder.calls == []


def test_hook_client_archived(admin, world, recorder):
    archive_client(admin, world)
    assert recorder.hooks() == ["client_archived", "client_updated"]
    assert recorder.calls[0][1]["client"].id == world["client"].id
    assert recorder.calls[1][1]["changes"] == {"archived": (False, True)}


def test_hook_client_archived_not_fired_on_unarchive(admin, world, recorder):
    archive_client(admin, world)
    recorder.calls.clear()
    admin.post(f"/clients/{world['client'].id}/unarchive")
    assert recorder.hooks() == ["client_updated"]
    assert recorder.calls[0][1]["changes"] == {"archived": (True, False)}


def test_hook_clients_imported(admin, world, recorder):
    import_clients(admin, world)
    assert recorder.hooks() == ["clients_imported"]
    clients = recorder.calls[0][1]["clients"]
    assert [client.name for client in clients] == ["Imp One", "Imp Two"]
    assert all(client.id for client in clients)


def test_hook_invoice_created(admin, world, recorder):
    create_invoice(admin, world)
    assert recorder.hooks() == ["invoice_created"]
    invoice = recorder.calls[0][1]["invoice"]
    assert invoice.number == "BM-0003" and invoice.total == Decimal("300.00")
    assert [line.description for line in invoice.lines] == ["Tax return"]
    assert recorder.calls[0][1]["source"] == "user"


def test_hook_invoice_updated(admin, world, recorder):
    approve_invoice(admin, world)
    assert recorder.hooks() == ["invoice_updated"]
    kwargs = recorder.calls[0][1]
    assert kwargs["invoice"].id == world["draft"].id
    assert kwargs["changes"] == {"status": ("draft", "awaiting_payment")}
    assert kwargs["source"] == "user"


def test_hook_invoice_updated_with_edited_lines(admin, world, recorder):
    draft = world["draft"]
    admin.post(f"/invoices/{draft.id}/edit", {"version": draft.version, "reference": "R1",
                                             "lines-0-description": "Audit", "lines-0-quantity": "2",
                                             "lines-0-unit_price": "10", "lines-0-tax_rate": "0"})
    assert recorder.hooks() == ["invoice_updated"]
    changes = recorder.calls[0][1]["changes"]
    assert changes["reference"] == ("", "R1")
    old_lines, new_lines = changes["lines"]
    assert old_lines[0]["description"] == "Bookkeeping" and new_lines[0]["description"] == "Audit"
    assert new_lines[0]["quantity"] == Decimal("2")


def test_hook_invoice_updated_on_void(admin, world, recorder):
    admin.post(f"/invoices/{world['draft'].id}/void")
    assert recorder.calls[0][1]["changes"] == {"status": ("draft", "void")}


def test_hook_payment_recorded(admin, world, recorder):
    record_payment(admin, world)
    assert recorder.hooks() == ["payment_recorded"]
    payment = recorder.calls[0][1]["payment"]
    assert payment.amount == Decimal("20.00") and payment.reference == "Cheque"
    assert payment.invoice.amount_paid == Decimal("20.00") and payment.invoice.status == "awaiting_payment"
    assert recorder.calls[0][1]["source"] == "user"


def test_hook_payment_recorded_sees_the_paid_status(world, recorder):
    payment = services.record_payment(world["approved"], {"amount": "120"})
    assert recorder.calls[0][1]["payment"] is payment and payment.invoice.status == "paid"
    db.session.rollback()


def test_hook_implementation_may_take_fewer_arguments(admin, world, register_plugin):
    seen = []

    class Lean:
        @hookimpl
        def client_created(self, client):
            seen.append(client.name)

    register_plugin(Lean(), "lean")
    create_client(admin, world)
    assert seen == ["Newco Ltd"]


def test_failed_change_fires_nothing(admin, world, recorder):
    admin.post("/clients/new", {"name": ""})
    admin.post(f"/invoices/{world['approved'].id}/payments", {"amount": "9999"})
    assert recorder.calls == []


# -- the same guarantees for every lifecycle hook ----------------------------------------------


@pytest.mark.parametrize("hook", LIFECYCLE_HOOKS)
def test_lifecycle_hook_fires_once_per_change(admin, world, recorder, hook):
    response = ACTIONS[hook](admin, world)
    assert response.status_code == 200
    assert recorder.hooks().count(hook) == 1
    assert did_the_change_happen(hook, world)


@pytest.mark.parametrize("hook", LIFECYCLE_HOOKS)
def test_lifecycle_hook_never_reaches_a_disabled_plugin(admin, world, recorder, hook):
    response = admin.post("/tools/plugins/recorder", {"enabled": "0"}, follow_redirects=True)
    assert "Plugin recorder disabled." in html(response)
    ACTIONS[hook](admin, world)
    assert recorder.calls == []
    assert did_the_change_happen(hook, world)


def test_enabling_a_plugin_again_resumes_its_calls(admin, world, recorder):
    admin.post("/tools/plugins/recorder", {"enabled": "0"})
    create_client(admin, world)
    admin.post("/tools/plugins/recorder", {"enabled": "1"})
    create_invoice(admin, world)
    assert recorder.hooks() == ["invoice_created"]


@pytest.mark.parametrize("hook", LIFECYCLE_HOOKS)
def test_raising_plugin_does_not_break_or_roll_back_the_change(admin, world, register_plugin, caplog, hook):
    good = register_plugin(Recorder("good"), "good")
    register_plugin(Recorder("broken", fail=True), "broken")
    with caplog.at_level(logging.ERROR, logger="bm.plugins"):
        response = ACTIONS[hook](admin, world)
    assert response.status_code == 200
    assert did_the_change_happen(hook, world)
    assert "The broken plugin could not process this change; your change was saved." in html(response)
    assert f"plugin broken failed in {hook}" in caplog.text
    rows = staged_rows()
    assert not any(row.startswith("staged:broken:") for row in rows)  # its savepoint rolled back alone
    assert any(row.startswith(f"staged:good:{hook}") for row in rows)
    assert hook in good.hooks()


@pytest.mark.parametrize("hook", LIFECYCLE_HOOKS)
def test_staged_rows_commit_with_the_change(admin, world, recorder, hook):
    ACTIONS[hook](admin, world)
    assert f"staged:recorder:{hook}:{recorder.hooks().index(hook) + 1}" in staged_rows()


SERVICE_CHANGES = {
    "client_created": lambda w: services.create_client({"name": "Ghost"}),
    "client_updated": lambda w: services.update_client(w["client"], {"phone": "999"}),
    "client_archived": lambda w: services.set_client_archived(w["client"], True),
    "clients_imported": lambda w: services.import_clients([{"name": "Ghost"}]),
    "invoice_created": lambda w: services.create_invoice(w["client"], {"lines": [{"description": "X", "unit_price": "1"}]}),
    "invoice_updated": lambda w: services.approve_invoice(w["draft"]),
    "payment_recorded": lambda w: services.record_payment(w["approved"], {"amount": "1"}),
}


@pytest.mark.parametrize("hook", LIFECYCLE_HOOKS)
def test_staged_rows_roll_back_with_the_change(world, recorder, hook):
    SERVICE_CHANGES[hook](world)
    assert hook in recorder.hooks()
    db.session.rollback()
    assert staged_rows() == set()
    assert client_named("Ghost") is None


def test_hooks_run_before_commit_with_the_change_flushed(world, register_plugin):
    seen = []

    class Peeker:
        @hookimpl
        def client_created(self, client):
            seen.append((client.id, db.session().in_nested_transaction()))  # in its savepoint

    register_plugin(Peeker(), "peeker")
    client = services.create_client({"name": "Flushed"})
    assert seen == [(client.id, True)]
    db.session.rollback()


def test_newest_plugin_is_called_first(world, register_plugin):
    order = []

    def plugin(name):
        class One:
            @hookimpl
            def client_created(self, client):
                order.append(name)
        return One()

    register_plugin(plugin("first"), "first")
    register_plugin(plugin("second"), "second")
    services.create_client({"name": "Order"})
    assert order == ["second", "first"]
    db.session.rollback()
