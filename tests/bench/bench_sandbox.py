"""Benchmark the Xero sandbox itself: seeding a big organisation and reading big pages from it.

The tests need both to be quick (they seed 20,000 contacts and read pages of 1000), but wall
clocks belong here, not in assertions. A page of 1000 contacts is set against a page of 10
through the same server, token and query, so the ratio is what the page size itself costs.

Run it alone with ``python -m tests.bench.bench_sandbox``.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import requests

from tests.bench import support
from tests.sandbox.helpers import CALLBACK, authorize, exchange

CONTACTS, CUSTOMERS, READS = 20_000, 15_000, 7
QUICK_CONTACTS, QUICK_READS = 11_000, 1  # `make bench-quick`: still ten full pages


def run(quick: bool = False) -> list[dict]:
    """Seed a sandbox in its own process, then time page reads; return the result rows."""
    contacts, reads = (QUICK_CONTACTS, QUICK_READS) if quick else (CONTACTS, READS)
    with tempfile.TemporaryDirectory(prefix="bm-bench-sandbox-") as folder, \
            support.sandbox_process(Path(folder)) as sandbox:
        sandbox.admin("POST", "limits", {"enabled": False})
        sandbox.admin("POST", "apps", {"client_id": "sandbox-app", "redirect_uris": [CALLBACK]})
        began = time.perf_counter()
        sandbox.admin("POST", "seed", {"contacts": contacts, "customers": contacts * CUSTOMERS // CONTACTS,
                                        "invoices": 20, "bank_accounts": 1})
        seeding = time.perf_counter() - began
        read = _contact_reader(sandbox.url)
        small, large = _median(read, 10, reads), _median(read, 1000, reads)
    return [
        {"name": f"Sandbox: seed {contacts:,} contacts", "value": round(seeding, 2), "unit": "s",
         "baseline": None, "ratio": None},
        {"name": "Sandbox: read a page of 1000 contacts", "value": round(large * 1000, 1), "unit": "ms",
         "baseline": round(small * 1000, 1), "ratio": round(large / small, 2),
         "detail": f"median of {reads}; baseline = a page of 10 contacts"},
    ]


def _contact_reader(base_url):
    """A function reading page 10 of the contacts at a page size, as a connected app would."""
    http = requests.Session()
    tokens = exchange(http, base_url, authorize(base_url, browser=requests.Session())["code"]).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    headers["xero-tenant-id"] = http.get(f"{base_url}/connections", headers=headers).json()[0]["tenantId"]

    def read(page_size):
        response = http.get(f"{base_url}/api.xro/2.0/Contacts", headers=headers,
                            params={"page": 10, "pageSize": page_size}, timeout=120)
        response.raise_for_status()

    return read


def _median(read, page_size, reads):
    timings = []
    for _ in range(reads):
        began = time.perf_counter()
        read(page_size)
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


if __name__ == "__main__":
    from tests.bench.__main__ import print_table

    print_table(run())
