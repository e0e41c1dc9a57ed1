"""Follow the Xero help article in a real browser, step by step, as a practice admin would.

Every element is found by the label the article (or the screen) uses. The steps share one
browser and one running stack, in order; once a step fails the rest are skipped.
"""
import re

import pytest
import requests
from playwright.sync_api import expect

from .conftest import skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.e2e

ORGANISATION = "Demo Company (UK)"


def shot(page, screenshots, name, full_page=False):
    path = screenshots / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 5000


# Remembers each progress bar the page shows, however briefly (a small sync can finish in a second).
SEE_PROGRESS_BARS = """
window.progressBarsSeen = "";
new MutationObserver(() => document.querySelectorAll("progress").forEach((bar) => {
  const label = `${bar.getAttribute("aria-label")}: ${bar.value}%; `;
  if (!window.progressBarsSeen.endsWith(label)) window.progressBarsSeen += label;
})).observe(document, {childList: true, subtree: true});
"""


def open_xero_page(page):
    """Tools > Integrations > Xero, through the menus."""
    page.get_by_role("navigation", name="Main").get_by_text("Tools").click()
    page.get_by_role("link", name="Integrations").click()
    page.get_by_role("link", name=re.compile("Xero")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xero")


def sync_now(page):
    """Tools > Integrations > Xero > Sync Now, then wait for the progress bar to finish."""
    open_xero_page(page)
    page.get_by_role("button", name="Sync Now").click()
    return sync_finished(page)


def sync_finished(page):
    """Wait for the progress bar to give way to the sync's summary and the page to refresh itself."""
    expect(page.locator("#sync-run")).to_contain_text("Last sync", timeout=30_000)
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    return page.locator("#sync-run").inner_text()


def xero_page(context, stack, path):
    """A new tab on Xero (the sandbox); the browser is already logged in there."""
    xero = context.new_page()
    xero.goto(stack.xero_url + path)
    return xero


class XeroApi:
    """Someone working in the organisation in Xero, through the Accounting API (a custom connection)."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.http = requests.Session()
        token = self.http.post(f"{base_url}/connect/token", data={"grant_type": "client_credentials"},
                               auth=("sandbox-app", "sandbox-secret"), timeout=10).json()
        self.http.headers.update(Authorization=f"Bearer {token['access_token']}", Accept="application/json")

    def call(self, method, path, **kwargs):
        response = self.http.request(method, f"{self.base_url}/api.xro/2.0/{path}", timeout=10, **kwargs)
        assert response.status_code < 300, response.text[:500]
        return response.json()

    def contact_named(self, name):
        return self.call("GET", "Contacts", params={"where": f'Name=="{name}"'})["Contacts"][0]

    def raise_invoice(self, contact_id, description, amount):
        return self.call("PUT", "Invoices", json={"Invoices": [{
            "Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": "AUTHORISED",
            "LineItems": [{"Description": description, "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}]}]}
        )["Invoices"][0]


@pytest.mark.incremental
class TestHelpArticle:
    def test_sign_in(self, page, axe, screenshots):
        page.goto("/")
        expect(page.get_by_role("heading", name=re.compile("Sign in"))).to_be_visible()
        axe.check(page, "sign in")
        page.get_by_label("Email").fill("admin@example.com")
        page.get_by_label("Password").fill("admin")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Clients", level=1)).to_be_visible()
        shot(page, screenshots, "clients")
        axe.check(page, "client list")

    def test_integrate_with_xero(self, page, stack, axe, screenshots):
        open_xero_page(page)
        axe.check(page, "Xero start")
        page.get_by_role("link", name="Integrate with Xero").click()
        expect(page).to_have_url(re.compile(re.escape(stack.xero_url)))
        page.get_by_label("Email address").fill("xero@example.com")
        page.get_by_label("Password").fill("xero")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Allow access")).to_be_visible()
        page.get_by_label("Organisation").select_option(label=ORGANISATION)
        shot(page, screenshots, "xero-consent")
        page.get_by_role("button", name="Allow access").click()
        expect(page).to_have_url(re.compile(re.escape(stack.url) + ".*/organisation"))
        axe.check(page, "choose organisation")
        page.get_by_label("Organisation").select_option(label=ORGANISATION)
        page.add_init_script(SEE_PROGRESS_BARS)
        stack.slow_xero(0.7)  # the demo organisation is small: slow Xero so the progress bar shows for a while
        page.get_by_role("button", name="Confirm organisation").click()
        expect(page.get_by_text(f"Connected to {ORGANISATION}. Your first sync has been queued.")).to_be_visible()

    def test_first_sync_shows_progress_then_the_scored_list(self, page, stack, axe, screenshots):
        expect(page.get_by_role("progressbar", name="Sync progress")).to_be_visible()
        shot(page, screenshots, "xero-first-sync")
        axe.check(page, "Xero page, first sync running")
        sync_finished(page)
        stack.slow_xero(0)
        assert page.evaluate("window.progressBarsSeen").startswith("Sync progress")
        expect(page.get_by_text(f"Connected to {ORGANISATION}. Your first sync has been queued.")).to_be_visible()
        # No reload: the page fetches the list itself once the progress bar's job has ended.
        rows = page.locator("table.xero-list tbody tr")
        expect(rows.first).to_be_visible()
        patel = page.get_by_label("Client for Patel and Sons Ltd")
        expect(patel.locator("option:checked")).to_have_text(re.compile(r"^\d+% – Patel & Sons Limited"))
        expect(page.get_by_label("Client for Harbour View Café Limited").locator("option:checked")) \
            .to_have_text(re.compile(r"^\d+% – Harbour View Cafe Ltd"))
        shot(page, screenshots, "xero-list", full_page=True)
        axe.check(page, "Xero list")

    def test_merge_pop_up_is_keyboard_usable(self, page, axe, screenshots):
        row = page.get_by_role("row", name=re.compile("Patel and Sons Ltd"))
        merge = row.get_by_role("button", name="Merge")
        merge.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name=re.compile("Merge Patel and Sons Ltd"))
        expect(dialog).to_be_visible()
        assert dialog.evaluate("d => d.matches(':modal') && d.contains(document.activeElement)")
        for _ in range(8):  # Tab never leaves the pop-up
            page.keyboard.press("Tab")
            assert dialog.evaluate("d => d.contains(document.activeElement)")
        for _ in range(8):
            page.keyboard.press("Shift+Tab")
            assert dialog.evaluate("d => d.contains(document.activeElement)")
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(merge).to_be_focused()

    def test_merge_with_the_data_from_xero(self, page, axe, screenshots):
        row = page.get_by_role("row", name=re.compile("Patel and Sons Ltd"))
        row.get_by_role("button", name="Merge").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Patel & Sons Limited")
        expect(dialog).to_contain_text("Patel and Sons Ltd")
        dialog.get_by_label("Xero", exact=True).check()
        shot(page, screenshots, "merge-pop-up")
        axe.check(page, "Merge pop-up")
        dialog.get_by_role("button", name="Merge").click()
        expect(page.get_by_text("Patel and Sons Ltd is now linked to Patel and Sons Ltd in Xero.")).to_be_visible()
        expect(page.get_by_label("Client for Patel and Sons Ltd")).to_have_count(0)

    def test_merge_with_the_data_from_brightmanager(self, page):
        row = page.get_by_role("row", name=re.compile("Harbour View Café Limited"))
        row.get_by_role("button", name="Merge").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("BrightManager", exact=True)).to_be_checked()
        dialog.get_by_role("button", name="Merge").click()
        expect(page.get_by_text("Harbour View Cafe Ltd is now linked to Harbour View Café Limited in Xero.")).to_be_visible()

    def test_create_in_brightmanager(self, page):
        row = page.get_by_role("row", name=re.compile("Kestrel Engineering Ltd"))
        row.get_by_role("button", name="Create in BrightManager").click()
        expect(page.get_by_text("Kestrel Engineering Ltd created and linked to Xero.")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile("Kestrel Engineering Ltd"))).to_have_count(0)

    def test_client_file_xero_contact_opens_in_xero_and_unlinks(self, page, context, stack, axe, screenshots):
        page.get_by_role("search").get_by_label("Search clients").fill("Kestrel")
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Kestrel Engineering Ltd").click()
        xero_contact = page.locator("#client-actions").get_by_text("Xero Contact")
        xero_contact.click()
        open_in_xero = page.locator("#client-actions").get_by_role("link", name="Open in Xero")
        expect(open_in_xero).to_be_visible()
        axe.check(page, "client file, Xero Contact open")
        with context.expect_page() as opened:
            open_in_xero.click()
        xero = opened.value
        expect(xero.get_by_role("heading", name=re.compile("Kestrel Engineering Ltd"))).to_be_visible()
        assert xero.url.startswith(stack.xero_url)
        xero.close()
        if not page.locator("#client-actions details[open]").count():
            xero_contact.click()
        page.once("dialog", lambda confirm: confirm.accept())
        page.locator("#client-actions").get_by_role("button", name="Unlink").click()
        expect(page.get_by_text("Kestrel Engineering Ltd is no longer linked to Xero.")).to_be_visible()
        expect(page.locator("#client-actions").get_by_text("Xero Contact")).to_have_count(0)

    def test_merge_after_searching_other_clients(self, page):
        open_xero_page(page)
        row = page.get_by_role("row", name=re.compile("Kestrel Engineering Ltd"))
        row.get_by_label("Search other clients for Kestrel Engineering Ltd").fill("Kestrel")
        choice = row.get_by_label("Client for Kestrel Engineering Ltd")
        expect(choice.locator("option").first).to_have_text(re.compile("Kestrel Engineering Ltd"))
        row.get_by_role("button", name="Merge").click()
        page.get_by_role("dialog").get_by_role("button", name="Merge").click()
        expect(page.get_by_text("Kestrel Engineering Ltd is now linked")).to_be_visible()

    def test_new_and_imported_clients_reach_xero_after_sync_now(self, page, context, stack, axe, tmp_path):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
        page.get_by_role("link", name="New client").click()
        axe.check(page, "new client form")
        page.get_by_label("Name").first.fill("Fresh Start Bakery")
        page.get_by_label("Email").fill("hello@freshstart.example")
        page.get_by_role("button", name="Save client").click()
        expect(page.get_by_role("heading", name="Fresh Start Bakery")).to_be_visible()

        csv = tmp_path / "clients.csv"
        csv.write_text("Name,Email\nAlpha Analytics,a@alpha.example\nBeta Builders,b@beta.example\n")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
        page.get_by_role("link", name="Import CSV").click()
        axe.check(page, "import clients")
        page.get_by_label("CSV file").set_input_files(str(csv))
        page.get_by_role("button", name="Preview import").click()
        axe.check(page, "import preview")
        page.get_by_role("button", name="Import 2 clients").click()
        expect(page.get_by_text(re.compile("Imported 2 clients|2 clients imported"))).to_be_visible()

        sync_now(page)
        xero = xero_page(context, stack, "/Contacts")
        for name in ("Fresh Start Bakery", "Alpha Analytics", "Beta Builders"):
            xero.get_by_label("Search").fill(name)
            xero.get_by_role("button", name="Search").click()
            expect(xero.get_by_role("link", name=name)).to_be_visible()
        xero.close()

    def test_archiving_a_client_leaves_the_xero_contact_active(self, page, context, stack):
        page.get_by_role("search").get_by_label("Search clients").fill("Kestrel")
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Kestrel Engineering Ltd").click()
        page.once("dialog", lambda confirm: confirm.accept())
        page.get_by_role("button", name="Archive").click()
        expect(page.get_by_role("heading", name=re.compile("Kestrel Engineering Ltd"))).to_contain_text("Archived")
        sync_now(page)
        xero = xero_page(context, stack, "/Contacts")
        xero.get_by_role("link", name="Kestrel Engineering Ltd").click()
        expect(xero.get_by_role("heading", name=re.compile("Kestrel Engineering Ltd"))).to_contain_text("ACTIVE")

        # ... and the other way round: archived in Xero, still active here.
        xero.goto(stack.xero_url + "/Contacts?q=Fresh+Start")
        xero.get_by_role("link", name="Fresh Start Bakery").click()
        xero.get_by_role("button", name="Archive").click()
        expect(xero.get_by_role("heading", name=re.compile("Fresh Start Bakery"))).to_contain_text("ARCHIVED")
        xero.close()
        sync_now(page)
        page.get_by_role("search").get_by_label("Search clients").fill("Fresh Start")
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Fresh Start Bakery").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Fresh Start Bakery")

    def test_disconnect_in_xero_then_reconnect_and_sync_now(self, page, context, stack, axe, screenshots):
        xero = xero_page(context, stack, "/Dashboard")
        xero.get_by_role("link", name="Settings > Connected apps").click()
        xero.get_by_role("button", name="Disconnect").click()
        expect(xero.get_by_text(re.compile("No apps are connected"))).to_be_visible()
        xero.close()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
        page.get_by_role("link", name="New client").click()
        page.get_by_label("Name").first.fill("After The Cut Ltd")
        page.get_by_role("button", name="Save client").click()
        expect(page.get_by_role("heading", name="After The Cut Ltd")).to_be_visible()

        sync_now(page)  # the sync finds the connection gone: a soft disconnect
        page.reload()
        expect(page.get_by_text("Disconnected", exact=True)).to_be_visible()
        reconnect = page.get_by_role("link", name="Reconnect Xero Integration")
        expect(reconnect).to_be_visible()
        axe.check(page, "Xero page, disconnected")
        reconnect.click()
        page.get_by_label("Organisation").select_option(label=ORGANISATION)
        page.get_by_role("button", name="Allow access").click()
        if "/organisation" in page.url:
            page.get_by_label("Organisation").select_option(label=ORGANISATION)
            page.get_by_role("button", name="Confirm organisation").click()
        expect(page.get_by_text("Connected", exact=True)).to_be_visible()
        sync_finished(page)
        sync_now(page)
        xero = xero_page(context, stack, "/Contacts?q=After+The+Cut")
        expect(xero.get_by_role("link", name="After The Cut Ltd")).to_be_visible()
        xero.close()

    def test_integration_settings_enable_invoice_sync_with_a_default_bank(self, page, axe, screenshots):
        open_xero_page(page)
        page.locator(".page-head").get_by_role("link", name="Integration Settings").click()
        expect(page.get_by_role("heading", name="Integration Settings")).to_be_visible()
        page.get_by_label("Enable Invoice Sync").check()
        page.get_by_label("Default Bank").select_option(label="Business Bank Account (090)")
        shot(page, screenshots, "integration-settings", full_page=True)
        axe.check(page, "Integration Settings")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Integration settings saved.")).to_be_visible()
        expect(page.locator("#invoice-sync")).to_contain_text("Business Bank Account")

    def test_invoice_raised_here_takes_the_xero_number_and_is_approved_in_xero(self, page, context, stack, axe,
                                                                                screenshots):
        page.get_by_role("search").get_by_label("Search clients").fill("Patel")
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Patel and Sons Ltd").click()
        page.get_by_role("link", name="New invoice").click()
        axe.check(page, "new invoice form")
        page.locator("#l0-d").fill("Quarterly VAT return")
        page.locator("#l0-q").fill("1")
        page.locator("#l0-p").fill("300")
        page.locator("#l0-t").fill("20")
        page.get_by_role("button", name="Save as draft").click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text(re.compile(r"Invoice BM-\d+"))
        practice_number = re.search(r"BM-\d+", heading.inner_text()).group(0)
        expect(page.get_by_text("This invoice will be added to Xero as a draft on the next sync.")).to_be_visible()
        invoice_url = page.url

        sync_now(page)
        page.goto(invoice_url)
        expect(heading).to_contain_text(re.compile(r"Invoice INV-\d+"))
        xero_number = re.search(r"INV-\d+", heading.inner_text()).group(0)
        expect(page.get_by_text(f"Raised as {practice_number} in BrightManager")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile("Quarterly VAT return"))).to_contain_text("20%")
        expect(page.get_by_text("Draft in Xero")).to_be_visible()

        with context.expect_page() as opened:
            page.locator(".panel").get_by_role("link", name="Open in Xero").first.click()
        xero = opened.value
        expect(xero.get_by_role("heading", level=1)).to_contain_text(xero_number)
        expect(xero.get_by_role("heading", level=1)).to_contain_text("DRAFT")
        xero.get_by_role("button", name="Approve").click()
        expect(xero.get_by_role("heading", level=1)).to_contain_text("AUTHORISED")
        xero.close()

        sync_now(page)
        page.goto(invoice_url)
        expect(page.locator(".status")).to_have_text("Awaiting payment")
        expect(page.get_by_text(f"In Xero as {xero_number}, approved there.")).to_be_visible()

    def test_a_payment_recorded_here_reaches_xero(self, page, context, stack, axe, screenshots):
        invoice_url = page.url
        page.get_by_label("Amount").fill("360.00")
        page.get_by_label("Reference").fill("BACS 2231")
        page.get_by_role("button", name="Record payment").click()
        expect(page.get_by_text("Payment recorded.")).to_be_visible()
        expect(page.locator(".status")).to_have_text("Paid")
        sync_now(page)
        page.goto(invoice_url)
        shot(page, screenshots, "invoice", full_page=True)
        axe.check(page, "invoice")
        with context.expect_page() as opened:
            page.locator(".panel").get_by_role("link", name="Open in Xero").first.click()
        xero = opened.value
        expect(xero.get_by_role("heading", level=1)).to_contain_text("PAID")
        xero.close()

    def test_the_invoice_history_says_who_changed_what(self, page, axe, screenshots):
        history = page.locator("#history")
        expect(history.get_by_role("row", name=re.compile(r"Xero sync Number BM-\d+ INV-\d+"))).to_be_visible()
        expect(history.get_by_role("row", name=re.compile(r"Demo Admin Payment .*360.00"))).to_be_visible()
        history.scroll_into_view_if_needed()
        history.screenshot(path=str(screenshots / "history.png"))
        invoice_url = page.url
        history.get_by_role("link", name="Full history, with filters").click()
        page.get_by_label("Who").select_option(label="Xero sync")
        expect(page.locator("#history-results").get_by_role("row", name=re.compile("Demo Admin"))).to_have_count(0)
        expect(page.locator("#history-results").get_by_role("row", name=re.compile("Xero sync Status"))).to_be_visible()
        axe.check(page, "invoice history")
        page.goto(invoice_url)

    def test_the_invoice_prints_under_the_practices_letterhead(self, page, screenshots, tmp_path):
        invoice_url = page.url
        page.get_by_role("navigation", name="Main").get_by_text("Tools").click()
        page.get_by_role("link", name="Settings").click()
        page.get_by_label("Practice name").fill("Ledger & Co Accountants")
        page.get_by_label("Practice address").fill("1 High Street\nLeeds LS1 1AA")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Settings saved.")).to_be_visible()
        page.goto(invoice_url)
        page.emulate_media(media="print")
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        expect(page.get_by_role("button", name="Print")).to_be_hidden()
        expect(page.locator("#history")).to_be_hidden()
        expect(page.get_by_text("Ledger & Co Accountants")).to_be_visible()
        expect(page.get_by_text("Bill to")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile("Quarterly VAT return"))).to_be_visible()
        expect(page.get_by_role("cell", name="BACS 2231")).to_be_visible()
        page.screenshot(path=str(screenshots / "invoice-print.png"), full_page=True)
        assert page.pdf(path=str(tmp_path / "invoice.pdf")).startswith(b"%PDF")
        page.emulate_media(media="screen")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    def test_client_file_shows_the_link_and_the_invoices(self, page, axe, screenshots):
        page.get_by_role("link", name="Patel and Sons Ltd").click()
        expect(page.get_by_role("heading", name="Patel and Sons Ltd")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile("INV-"))).to_contain_text("Paid")
        page.locator("#client-actions").get_by_text("Xero Contact").click()
        unlink = page.locator("#client-actions").get_by_role("button", name="Unlink")
        expect(unlink).to_be_visible()
        shot(page, screenshots, "client-file")
        axe.check(page, "client file")
        page.keyboard.press("Escape")
        expect(unlink).to_be_hidden()

    def test_invoice_raised_in_xero_comes_in_and_its_payment_follows(self, page, context, stack, axe, screenshots):
        # The sandbox's web UI has no new-invoice screen, so the Xero user raises it through the API.
        xero_api = XeroApi(stack.xero_url)
        contact = xero_api.contact_named("Harbour View Cafe Ltd")
        raised = xero_api.raise_invoice(contact["ContactID"], "Bookkeeping, November", "150.00")
        number = raised["InvoiceNumber"]

        sync_now(page)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
        row = page.get_by_role("row", name=re.compile(number))
        expect(row).to_contain_text("Harbour View Cafe Ltd")
        expect(row).to_contain_text("Awaiting payment")
        axe.check(page, "invoice list")
        row.get_by_role("link", name=number).click()
        expect(page.get_by_text("Raised in Xero.")).to_be_visible()

        with context.expect_page() as opened:
            page.locator(".panel").get_by_role("link", name="Open in Xero").first.click()
        xero = opened.value
        xero.get_by_label("Reference").fill("Card 4411")
        xero.get_by_role("button", name="Add payment").click()
        expect(xero.get_by_role("heading", level=1)).to_contain_text("PAID")
        xero.close()

        invoice_url = page.url
        sync_now(page)
        page.goto(invoice_url)
        expect(page.locator(".status")).to_have_text("Paid")
        expect(page.get_by_role("cell", name="Card 4411", exact=True)).to_be_visible()

    def test_xero_usage_at_a_glance(self, page, axe, screenshots):
        open_xero_page(page)
        usage = page.locator("section#xero-usage")
        expect(usage.get_by_role("img", name="Xero calls per hour, last 7 days")).to_be_visible()
        expect(usage.get_by_role("img", name="Sync outcomes per day, last 7 days")).to_be_visible()
        expect(usage.locator("rect.calls").first).to_be_visible()
        expect(usage.locator("rect.outcome-finished").first).to_be_visible()
        usage.scroll_into_view_if_needed()
        usage.screenshot(path=str(screenshots / "xero-usage.png"))
        axe.check(page, "Xero page with the usage charts")

    def test_red_disconnect_asks_for_confirmation(self, page, axe, screenshots):
        open_xero_page(page)
        page.get_by_role("link", name="Disconnect").click()
        expect(page.get_by_role("heading", name=f"Disconnect from {ORGANISATION}?")).to_be_visible()
        expect(page.get_by_text("This is not a fix for sync problems.")).to_be_visible()
        shot(page, screenshots, "disconnect-confirmation")
        axe.check(page, "Disconnect confirmation")
        page.get_by_role("button", name="Disconnect").click()  # not typed: refused
        expect(page.get_by_role("heading", name=f"Disconnect from {ORGANISATION}?")).to_be_visible()
        page.get_by_label(re.compile("to confirm")).fill(ORGANISATION)
        page.get_by_role("button", name="Disconnect").click()
        expect(page.get_by_text(f"Disconnected from {ORGANISATION}: Xero removed the connection and revoked "
                                "BrightManager's access. Client links were removed.")).to_be_visible()
        expect(page.get_by_role("link", name="Integrate with Xero")).to_be_visible()
        page.get_by_role("search").get_by_label("Search clients").fill("Patel")
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Patel and Sons Ltd").click()
        expect(page.locator("#client-actions").get_by_text("Xero Contact")).to_have_count(0)


@pytest.mark.incremental
class TestEveryScreen:
    """The screens the walk does not reach, checked with axe, their empty states, and a phone-sized screen."""

    def test_sign_in(self, page):
        page.goto("/")
        page.get_by_label("Email").fill("admin@example.com")
        page.get_by_label("Password").fill("admin")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Clients", level=1)).to_be_visible()

    def test_tools_menu_works_from_the_keyboard(self, page):
        page.wait_for_load_state()  # app.js (deferred) handles Escape; the heading shows before it has run
        tools = page.get_by_role("navigation", name="Main").get_by_text("Tools")
        tools.focus()
        page.keyboard.press("Enter")
        integrations = page.get_by_role("link", name="Integrations")
        expect(integrations).to_be_visible()
        page.keyboard.press("Escape")  # closes the menu, focus back on Tools
        expect(integrations).to_be_hidden()
        expect(tools).to_be_focused()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        expect(integrations).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Integrations", level=1)).to_be_visible()

    def test_tools_screens(self, page, axe):
        nav = page.get_by_role("navigation", name="Main")
        for item, heading in (("Integrations", "Integrations"), ("Plugins", "Plugins"), ("Users", "Users"),
                              ("Settings", "Settings")):
            nav.get_by_text("Tools").click()
            nav.get_by_role("link", name=item).click()
            expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
            axe.check(page, f"Tools > {item}")

    def test_forms(self, page, axe):
        page.goto("/clients/?q=Oakley")
        page.get_by_role("link", name="Oakley Joinery").click()
        page.get_by_role("link", name="Edit").click()
        expect(page.get_by_role("heading", name="Edit Oakley Joinery")).to_be_visible()
        axe.check(page, "edit client")
        page.get_by_role("link", name="Cancel").click()
        page.get_by_role("link", name="New invoice").click()
        page.get_by_role("button", name="Save as draft").click()  # empty: errors shown
        expect(page.get_by_role("alert").first).to_be_visible()
        axe.check(page, "invoice form with errors")
        page.goto("/invoices/new")
        axe.check(page, "new invoice: choose the client")

    def test_empty_states_say_what_to_do_next(self, page, axe):
        page.goto("/clients/?q=Nobody+By+This+Name")
        expect(page.get_by_text("No clients match")).to_be_visible()
        axe.check(page, "client search, nothing found")
        page.goto("/invoices/?status=void")
        expect(page.get_by_text(re.compile("No invoices match this filter. Open a client and choose New invoice"))).to_be_visible()
        axe.check(page, "invoice list, nothing found")
        page.goto("/no/such/page")
        expect(page.get_by_role("link", name="Go to clients")).to_be_visible()
        axe.check(page, "page not found")

    def test_phone_sized_screen(self, page, axe, screenshots):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto("/clients/")
        expect(page.get_by_role("row", name=re.compile("Oakley Joinery"))).to_be_visible()
        shot(page, screenshots, "phone-clients")
        axe.check(page, "client list, phone")
        page.get_by_role("navigation", name="Main").get_by_text("Tools").click()
        expect(page.get_by_role("link", name="Integrations")).to_be_in_viewport()
        page.get_by_role("link", name="Oakley Joinery").click()
        shot(page, screenshots, "phone-client-file", full_page=True)
        axe.check(page, "client file, phone")
