"""Printing an invoice: the practice's letterhead from Settings, the invoice, nothing to click."""
import re
from pathlib import Path

from support import html

CSS = Path(__file__).resolve().parents[1] / "bm" / "static" / "app.css"


def print_rules():
    """The declarations of app.css's ``@media print`` block, as ``{selector: declarations}``."""
    css = CSS.read_text()
    block = css[css.index("@media print {"):]
    return {selector.strip(): body.strip() for selector, body in re.findall(r"([^{}@]+)\{([^{}]*)\}", block)}


def test_the_invoice_prints_under_the_practices_name_and_address(admin, make_client, make_invoice):
    settings = {"practice_name": "Ledger & Co Accountants", "practice_address": "1 High Street\r\nLeeds LS1 1AA",
                "invoice_prefix": "BM-", "invoice_next_number": "1", "payment_terms_days": "14"}
    assert admin.post("/tools/settings", settings).status_code == 302
    client = make_client(name="Acme Ltd", address_line1="2 Low Road", city="York")
    invoice = make_invoice(client=client)
    page = html(admin.get(f"/invoices/{invoice.id}"))
    header = page[page.index('<header class="print-header print-only">'):page.index("</header>", page.index("print-header"))]
    assert "Ledger &amp; Co Accountants" in header and "1 High Street\nLeeds LS1 1AA" in header
    assert "Bill to" in header and "Acme Ltd" in header and "2 Low Road<br>York" in header
    assert "data-print" in page  # the Print button


def test_without_a_practice_name_the_app_name_heads_the_invoice(admin, make_invoice):
    page = html(admin.get(f"/invoices/{make_invoice().id}"))
    assert '<p class="practice-name"><strong>BrightManager</strong></p>' in page


def test_the_print_stylesheet_leaves_out_navigation_actions_forms_and_panels():
    rules = print_rules()
    hidden = next(body for selector, body in rules.items() if ".topbar" in selector)
    assert "display: none" in hidden
    hidden_selectors = next(selector for selector in rules if ".topbar" in selector)
    for part in (".topbar", ".page-head .actions", "form", ".panel", ".no-print", ".flash"):
        assert part in [s.strip() for s in hidden_selectors.split(",")]
    assert rules[".print-only"] == "display: block;"
    assert "display: none" in CSS.read_text().split("@media print")[0].split(".print-only {")[1].split("}")[0]


def test_a_practice_name_too_long_is_refused_with_a_message(admin):
    form = {"practice_name": "x" * 256, "invoice_prefix": "BM-", "invoice_next_number": "1", "payment_terms_days": "14"}
    response = admin.post("/tools/settings", form)
    assert response.status_code == 400 and "Use at most 255 characters." in html(response)
