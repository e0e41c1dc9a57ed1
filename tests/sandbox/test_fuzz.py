"""Fuzzing the sandbox with requests that schemathesis generates from Xero's own OpenAPI spec.

Every answer must be something Xero could send: never a 5xx, and shaped as the spec says (the
same conformance check as every other sandbox test). The run is bounded: each operation the
sandbox serves gets ``EXAMPLES`` generated requests, derandomised so a failure repeats.
"""
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from .conformance import NO_SPECS, SPECS, body_of, have_specs, validating_session

EXAMPLES = 30
SERVED = {
    ("GET", "/Organisation"), ("GET", "/Accounts"), ("GET", "/Accounts/{AccountID}"),
    ("GET", "/TaxRates"), ("GET", "/TaxRates/{TaxType}"),
    ("GET", "/Contacts"), ("PUT", "/Contacts"), ("POST", "/Contacts"),
    ("GET", "/Contacts/{ContactID}"), ("GET", "/Contacts/{ContactNumber}"), ("POST", "/Contacts/{ContactID}"),
    ("GET", "/Invoices"), ("PUT", "/Invoices"), ("POST", "/Invoices"),
    ("GET", "/Invoices/{InvoiceID}"), ("POST", "/Invoices/{InvoiceID}"),
    ("GET", "/CreditNotes"), ("PUT", "/CreditNotes"), ("POST", "/CreditNotes"),
    ("GET", "/CreditNotes/{CreditNoteID}"), ("POST", "/CreditNotes/{CreditNoteID}"),
    ("GET", "/Payments"), ("PUT", "/Payments"), ("POST", "/Payments"),
    ("GET", "/Payments/{PaymentID}"), ("POST", "/Payments/{PaymentID}"),
}

pytestmark = [
    pytest.mark.skipif(not have_specs(), reason=f"nothing to fuzz from: {NO_SPECS}"),
    # The sandbox keeps its own state: the PostgreSQL pass would only repeat the SQLite pass.
    pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the sandbox fuzz runs once, in the SQLite pass (it uses no app database)"),
]


def _operations():
    import schemathesis

    schema = schemathesis.openapi.from_path(str(SPECS / "xero_accounting.yaml"))
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if (op.method.upper(), op.path) in SERVED]


def test_generated_requests_get_no_5xx_and_nothing_the_spec_forbids(sandbox, xero):
    operations = _operations()
    assert len(operations) == len(SERVED), "the spec no longer has every operation the sandbox serves"
    http = validating_session()
    credentials = {**xero.auth(), "xero-tenant-id": xero.tenant, "Accept": "application/json"}
    sent = []

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            request = case.as_transport_kwargs(base_url=f"{sandbox.url}/api.xro/2.0")
            request["headers"] = {**(request.get("headers") or {}), **credentials}
            response = http.request(**request, timeout=30)
            sent.append(response.status_code)
            assert response.status_code < 500, f"{case.method} {case.path}: {body_of(response)}"

        fuzz()
    assert len(sent) >= len(operations) * 5
