"""The plugin system: discovery, Tools > Plugins, UI and setup hooks, and the hook contract."""
import importlib.metadata
import inspect
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bm import hookimpl, hookspecs, services
from bm.extensions import db
from bm.models import PluginState
from bm.ui import Action, Badge, Banner, IntegrationCard
from support import html

SAMPLE = "sample_plugin"
TESTS = Path(__file__).parent


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_EXTRA_PLUGINS": [SAMPLE]}


def disable(admin, name):
    response = admin.post(f"/tools/plugins/{name}", {"enabled": "0"}, follow_redirects=True)
    assert f"Plugin {name} disabled." in html(response)


def enable(admin, name):
    admin.post(f"/tools/plugins/{name}", {"enabled": "1"})


# -- the contract -------------------------------------------------------------------------------


def hookspec_names():
    return sorted(name for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
                  if hasattr(function, "bm_spec"))


def test_every_hookspec_has_a_docstring():
    names = hookspec_names()
    assert len(names) >= 16
    for name in names:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 30, f"hookspec {name} needs a docstring saying when it fires and with what"
        for argument in inspect.signature(getattr(hookspecs, name)).parameters:
            assert f":param {argument}:" in doc, f"hookspec {name} does not document {argument}"


def test_plugin_hooks_have_tests():
    """Every hookspec has a test_hook_<name> somewhere under tests/ (like datasette's)."""
    source = "\n".join(path.read_text() for path in TESTS.rglob("test_*.py"))
    missing = [name for name in hookspec_names() if f"def test_hook_{name}(" not in source]
    assert not missing, f"hooks without a test_hook_<name>: {missing}"


def test_plugins_are_found_through_the_bm_plugins_entry_point_group(build_app, monkeypatch):
    class Distribution:
        metadata = {"name": "bm-sample"}
        entry_points = [importlib.metadata.EntryPoint(name="sample", value=SAMPLE, group="bm.plugins"),
                        importlib.metadata.EntryPoint(name="other", value="os", group="not.ours")]

    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [Distribution()])
    app = build_app()
    names = [name for name, _plugin in app.extensions["bm.plugins"].installed()]
    assert names == ["sample"]
    assert "sample.index" in app.view_functions


def test_entry_points_can_be_switched_off(build_app, monkeypatch):
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: pytest.fail("entry points were read"))
    app = build_app(BM_LOAD_PLUGINS=False)
    assert app.extensions["bm.plugins"].installed() == []


# -- Tools > Plugins ----------------------------------------------------------------------------


def test_plugins_page_lists_installed_plugins(admin):
    page = html(admin.get("/tools/plugins"))
    assert SAMPLE in page and "Enabled" in page
    assert "Sample plugin: a blueprint, a command and panels" in page
    assert f"Disable {SAMPLE}" in page


def test_disabling_is_kept_in_the_database(app, admin):
    disable(admin, SAMPLE)
    db.session.expire_all()
    assert db.session.get(PluginState, SAMPLE).enabled is False
    assert not app.extensions["bm.plugins"].is_enabled(SAMPLE)
    page = html(admin.get("/tools/plugins"))
    assert "Disabled" in page and f"Enable {SAMPLE}" in page
    enable(admin, SAMPLE)
    db.session.expire_all()
    assert db.session.get(PluginState, SAMPLE).enabled is True


def test_unknown_plugin_is_a_404(admin):
    assert admin.post("/tools/plugins/nope", {"enabled": "0"}).status_code == 404
    assert db.session.scalar(select(PluginState)) is None


# -- setup hooks --------------------------------------------------------------------------------


def test_hook_register_blueprints(admin, web):
    response = admin.get("/tools/sample/")
    assert response.status_code == 200 and "Hello from the sample plugin" in html(response)


def test_plugin_routes_need_a_login(app):
    response = app.test_client().get("/tools/sample/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_disabled_plugin_routes_answer_404(admin):
    disable(admin, SAMPLE)
    response = admin.get("/tools/sample/")
    assert response.status_code == 404 and "Not found" in html(response)
    enable(admin, SAMPLE)
    assert admin.get("/tools/sample/").status_code == 200


def test_hook_register_commands(app):
    result = app.test_cli_runner().invoke(args=["sample-hello"])
    assert result.exit_code == 0 and result.output == "hello from the sample plugin\n"


# -- UI hooks -----------------------------------------------------------------------------------


class Contributor:
    """Contributes to every UI hook."""

    @hookimpl
    def integrations(self):
        return [IntegrationCard(name="Ledger Link", description="Keeps ledgers in step.",
                                url="/tools/integrations/ledger", status="Connected", logo_text="LL")]

    @hookimpl
    def client_actions(self, client):
        return [Action(label="Ledger Contact", url=f"https://ledger.test/c/{client.reference}", external=True),
                Action(label="Ledger", children=(Action(label="Unlink from Ledger", url="/unlink",
                                                        method="post", style="danger", confirm="Sure?"),))]

    @hookimpl
    def invoice_badges(self, invoices):
        return {invoice.id: [Badge(label=f"LED-{invoice.id}", title="Ledger invoice number")] for invoice in invoices}


class Broken:
    """Raises from every UI hook."""

    @hookimpl
    def integrations(self):
        raise RuntimeError("broken card")

    @hookimpl
    def client_actions(self, client):
        raise RuntimeError("broken action")

    @hookimpl
    def invoice_badges(self, invoices):
        raise RuntimeError("broken badge")

    @hookimpl
    def client_panels(self, client):
        raise RuntimeError("broken panel")


@pytest.fixture
def contributor(register_plugin):
    return register_plugin(Contributor(), "ledger")


def test_hook_integrations(admin, contributor):
    page = html(admin.get("/tools/integrations"))
    assert "Ledger Link" in page and "Keeps ledgers in step." in page and "Connected" in page
    assert 'href="/tools/integrations/ledger"' in page


def test_integrations_cards_not_shown_for_a_disabled_plugin(admin, contributor):
    disable(admin, "ledger")
    assert "Ledger Link" not in html(admin.get("/tools/integrations"))


def test_integrations_page_without_cards_explains_why(build_app, make_user):
    app = build_app(BM_LOAD_PLUGINS=False)
    from bm.testing import Browser

    browser = Browser(app.test_client())
    make_user("solo@example.com")
    browser.login("solo@example.com")
    assert "No integrations are available" in html(browser.get("/tools/integrations"))


def test_hook_client_actions(admin, contributor, make_client):
    client = make_client(reference="C0042")
    page = html(admin.get(f"/clients/{client.id}"))
    actions = page.split('id="client-actions"')[1].split("</div>")[0]
    assert "Ledger Contact" in actions and 'href="https://ledger.test/c/C0042"' in actions
    assert 'target="_blank" rel="noopener noreferrer"' in actions
    assert "Unlink from Ledger" in actions and 'data-confirm="Sure?"' in actions
    assert f'name="csrf_token" value="{admin.token}"' in actions


def test_client_actions_not_shown_for_a_disabled_plugin(admin, contributor, make_client):
    client = make_client()
    disable(admin, "ledger")
    assert "Ledger Contact" not in html(admin.get(f"/clients/{client.id}"))


def test_hook_invoice_badges(admin, contributor, make_invoice):
    invoice = make_invoice()
    assert f"LED-{invoice.id}" in html(admin.get(f"/invoices/{invoice.id}"))
    listing = html(admin.get("/invoices/"))
    assert f"LED-{invoice.id}" in listing and 'title="Ledger invoice number"' in listing


def test_hook_client_panels(admin, make_client):
    client = make_client(reference="C0077")
    page = html(admin.get(f"/clients/{client.id}"))
    assert "Sample panel" in page and "Sample panel about C0077" in page


def test_hook_invoice_panels(admin, make_invoice):
    invoice = make_invoice()
    page = html(admin.get(f"/invoices/{invoice.id}"))
    assert "Sample invoice panel" in page and f"Sample panel about {invoice.number}" in page


def test_panels_not_shown_for_a_disabled_plugin(admin, make_invoice):
    invoice = make_invoice()
    disable(admin, SAMPLE)
    assert "Sample panel" not in html(admin.get(f"/clients/{invoice.client_id}"))
    assert "Sample invoice panel" not in html(admin.get(f"/invoices/{invoice.id}"))


def test_raising_ui_hook_leaves_out_its_part_only(admin, contributor, register_plugin, make_invoice, caplog):
    register_plugin(Broken(), "broken")
    invoice = make_invoice()
    with caplog.at_level(logging.ERROR, logger="bm.plugins"):
        client_page = admin.get(f"/clients/{invoice.client_id}")
        invoice_page = admin.get(f"/invoices/{invoice.id}")
        cards = admin.get("/tools/integrations")
    assert client_page.status_code == invoice_page.status_code == cards.status_code == 200
    assert "Ledger Contact" in html(client_page) and "Sample panel" in html(client_page)
    assert f"LED-{invoice.id}" in html(invoice_page)
    assert "Ledger Link" in html(cards)
    assert "plugin broken failed in client_actions" in caplog.text


def test_hook_invoice_lock_reason(admin, register_plugin, make_invoice):
    class Owner:
        @hookimpl
        def invoice_lock_reason(self, invoice):
            return "Approved in Ledger: Ledger's values win." if invoice.reference == "locked" else None

    register_plugin(Owner(), "owner")
    free, locked = make_invoice(), make_invoice(reference="locked")
    assert f'href="/invoices/{free.id}/edit"' in html(admin.get(f"/invoices/{free.id}"))
    page = html(admin.get(f"/invoices/{locked.id}"))
    assert f'href="/invoices/{locked.id}/edit"' not in page
    assert "Approved in Ledger: Ledger&#39;s values win." in page
    response = admin.post(f"/invoices/{locked.id}/edit", {"reference": "changed", "lines-0-description": "X",
                                                          "lines-0-unit_price": "1"})
    assert response.status_code == 303
    with pytest.raises(services.ValidationError, match="Approved in Ledger"):
        services.update_invoice(locked, {"reference": "changed"})
    # A plugin may still update what it owns.
    services.update_invoice(locked, {"reference": "from ledger"}, source="owner")
    db.session.rollback()
    disable(admin, "owner")
    assert admin.get(f"/invoices/{locked.id}/edit").status_code == 200


def test_hook_attention_banners(admin, register_plugin, make_user, make_invoice):
    class Watcher:
        @hookimpl
        def attention_banners(self, user):
            links = (Action("Fix <it>", "/fix?a=1&b=2"),) + ((Action("Admin only", "/admin-fix"),) if user.is_admin else ())
            return [Banner("Ledger <b>Acme & Co</b> is down.", links)]

    register_plugin(Watcher(), "watcher")
    invoice = make_invoice()
    for url in ("/", "/clients/", f"/invoices/{invoice.id}", "/tools/integrations", "/account/password"):
        page = html(admin.get(url, follow_redirects=True))
        banner = page.split('class="flash flash-warning attention"')[1].split("</div>")[0]
        assert "Ledger &lt;b&gt;Acme &amp; Co&lt;/b&gt; is down." in banner, url
        assert '<a href="/fix?a=1&amp;b=2">Fix &lt;it&gt;</a>' in banner and '<a href="/admin-fix">Admin only</a>' in banner
    make_user("staff@example.com", "staff")
    admin.post("/logout")
    assert "is down." not in html(admin.get("/login"))
    admin.login("staff@example.com")
    page = html(admin.get("/clients/"))
    assert "Ledger &lt;b&gt;Acme &amp; Co&lt;/b&gt; is down." in page and "Admin only" not in page
    admin.post("/logout")
    admin.login("admin@example.com")
    disable(admin, "watcher")
    assert "is down." not in html(admin.get("/clients/"))


def test_first_lock_reason_wins(register_plugin, make_invoice):
    def plugin(reason):
        class Locker:
            @hookimpl
            def invoice_lock_reason(self, invoice):
                return reason
        return Locker()

    register_plugin(plugin(None), "silent")
    register_plugin(plugin("Locked by A."), "a")
    register_plugin(plugin("Locked by B."), "b")
    assert services.invoice_lock_reason(make_invoice()) == "Locked by B."
