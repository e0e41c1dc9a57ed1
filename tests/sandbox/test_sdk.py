"""The official xero-python SDK, pointed at the sandbox, works without a parse failure."""
import time
from datetime import date

import pytest
from xero_python.accounting import (Account, AccountingApi, Contact, Contacts, Invoice, Invoices,
                                    LineItem, Payment)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import AccountingBadRequestException
from xero_python.identity import IdentityApi

from .helpers import CLIENT, XeroApp


@pytest.fixture
def sdk(sandbox, monkeypatch):
    """An SDK ApiClient holding a token set from the code flow; token URLs point at the sandbox."""
    for name in ("refresh_token_url", "client_credentials_token_url"):
        monkeypatch.setattr(TokenApi, name, f"{sandbox.url}/connect/token")
    monkeypatch.setattr(TokenApi, "revoke_token_url", f"{sandbox.url}/connect/revocation")
    app = XeroApp(sandbox.url)
    stored = {"token": {**app.tokens, "expires_at": time.time() + 1800}}
    client = ApiClient(Configuration(oauth2_token=OAuth2Token(*CLIENT)), pool_threads=1)
    client.oauth2_token_getter(lambda: stored["token"])
    client.oauth2_token_saver(lambda token: stored.update(token=token))
    client.tenant = app.tenant
    client.stored = stored
    return client


def test_sdk_lists_and_creates_contacts_and_invoices_and_records_a_payment(sandbox, sdk):
    accounting = AccountingApi(sdk, base_url=f"{sandbox.url}/api.xro/2.0")
    tenant = sdk.tenant
    listed = accounting.get_contacts(tenant, page=1, where="IsCustomer==true")
    assert "Harbour View Café Limited" in [c.name for c in listed.contacts]
    assert listed.contacts[0].updated_date_utc.year >= 2024
    created = accounting.create_contacts(tenant, Contacts(contacts=[Contact(name="SDK Studio")]))
    contact_id = created.contacts[0].contact_id
    invoices = accounting.create_invoices(tenant, Invoices(invoices=[Invoice(
        type="ACCREC", contact=Contact(contact_id=contact_id), status="AUTHORISED",
        date=date(2026, 1, 10), due_date=date(2026, 2, 10),
        line_items=[LineItem(description="Consulting", quantity=2.0, unit_amount=50.0,
                             account_code="200")])]))
    invoice = invoices.invoices[0]
    assert (invoice.total, invoice.invoice_number[:4]) == (120.0, "INV-")
    assert accounting.get_invoices(tenant, page=1, statuses=["AUTHORISED"]).invoices
    payment = accounting.create_payment(tenant, Payment(
        invoice=Invoice(invoice_id=invoice.invoice_id), account=Account(code="090"),
        amount=120.0, date=date(2026, 1, 20)))
    assert payment.payments[0].amount == 120.0
    paid = accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]
    assert (paid.amount_due, paid.status) == (0.0, "PAID")


def test_sdk_reads_a_validation_error(sandbox, sdk):
    accounting = AccountingApi(sdk, base_url=f"{sandbox.url}/api.xro/2.0")
    with pytest.raises(AccountingBadRequestException) as raised:
        accounting.create_contacts(sdk.tenant, Contacts(contacts=[Contact(name="Northwind Traders")]))
    assert raised.value.error_data["Type"] == "ValidationException"
    assert raised.value.reason == (
        "The contact name Northwind Traders is already assigned to another contact. "
        "The contact name must be unique across all active contacts.")


def test_sdk_refreshes_and_lists_connections(sandbox, sdk):
    before = sdk.stored["token"]["refresh_token"]
    sdk.refresh_oauth2_token()
    assert sdk.stored["token"]["refresh_token"] != before
    connections = IdentityApi(sdk, base_url=sandbox.url).get_connections()
    assert [c.tenant_name for c in connections] == ["Demo Company (UK)"]
