"""Benchmark page latency with 100,000 clients and 10,000 unlinked Xero customers on PostgreSQL.

A bench database is created (and dropped after) on the PostgreSQL at ``BENCH_POSTGRES``
(default ``postgresql://postgres@127.0.0.1:5432``), filled with COPY, and served by gunicorn
(2 sync workers, as many as the machine has cores) in its own processes. This process logs in
through /login with the CSRF token and sends the requests from 2 threads at once, every page
mixed in random order, so each page is measured under the same load, the trivial page too.

Run it alone with ``python -m tests.bench.bench_pages``.
"""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import requests

from tests.bench import support

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
INVOICES_EACH, SUGGESTIONS = 3, 5
WORKERS, CONCURRENCY = 2, 2


@dataclass(frozen=True)
class Sizes:
    """How big the practice is and how many requests each page gets."""

    clients: int
    unlinked: int
    linked: int
    clients_with_invoices: int
    requests_per_page: int
    warm_up: int


FULL = Sizes(clients=100_000, unlinked=10_000, linked=20_000, clients_with_invoices=20_000,
             requests_per_page=300, warm_up=20)
QUICK = Sizes(clients=2_000, unlinked=200, linked=400, clients_with_invoices=400, requests_per_page=20, warm_up=2)
GOAL_MS = 150
TENANT = "00000000-0000-4000-8000-0000000b3e7c"
SEARCHES = ("smith", "plumbing", "harbour", "jones", "café", "consulting", "ltd", "b01234", "gmail", "zz-nothing")
PASSWORD = "bench-password"


def run(quick: bool = False) -> list[dict]:
    """Seed, serve, load; return p50 and p95 of each page with the trivial page as baseline.

    Without PostgreSQL at the default address it is skipped; one named in BENCH_POSTGRES must be there.
    """
    name = f"bm_bench_{os.getpid()}"
    try:
        _admin_sql(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if "BENCH_POSTGRES" in os.environ:
            raise
        print(f"bench: pages skipped: no PostgreSQL at {POSTGRES} ({exc})", file=sys.stderr)
        return []
    try:
        with tempfile.TemporaryDirectory(prefix="bm-bench-pages-") as folder:
            return _measure(f"{POSTGRES}/{name}", Path(folder), QUICK if quick else FULL)
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_sql(statement):
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def _measure(database_url, folder, sizes):
    secrets = {"SECRET_KEY": "bench-secret-key", "BM_ENCRYPTION_KEY": "bench-encryption-key"}
    app = support.bench_app(folder, database_url, **secrets)
    started = time.perf_counter()
    with app.app_context():
        seed(app, sizes)
    seeded_in = time.perf_counter() - started
    port = support.free_port()
    env = {**os.environ, **secrets, "DATABASE_URL": database_url, "BM_INSTANCE_PATH": str(folder),
           "BM_LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "tests.bench.wsgi_app:app"],
        cwd=support.ROOT, env=env, stdout=open(folder / "gunicorn.log", "w"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        support.wait_for(f"{base}/login")
        cookies = log_in(base)
        latencies = load(base, cookies, targets(random.Random(5), sizes))
    finally:
        server.terminate()
        server.wait(30)
    return rows(latencies, seeded_in, sizes)


# -- seeding ------------------------------------------------------------------------------------


def seed(app, sizes):
    """Fill the bench database with COPY: clients, invoices, a Xero connection, contacts, links."""
    from bm import services
    from bm.extensions import db
    from plugins.xero.models import XeroConnection, XeroSettings
    from plugins.xero.oauth import encrypt_tokens
    from tests.bench.bench_matching import _contact_from

    services.create_user("bench@example.com", PASSWORD, "admin", check_strength=False)
    db.session.add(XeroConnection(tenant_id=TENANT, xero_connection_id="bench", organisation_name="Bench Ltd",
                                  short_code="!bench", status="connected", encrypted_tokens=encrypt_tokens({})))
    db.session.add(XeroSettings(id=1))
    db.session.commit()

    rng, now = random.Random(11), datetime(2026, 1, 5, 9, 30)
    clients = support.client_rows(sizes.clients)
    contacts, links, suggestions = [], [], []
    for number in range(sizes.linked):
        contact = _contact_from(rng, clients[number], number)
        contacts.append(contact)
        links.append((number + 1, TENANT, contact["ContactID"], "{}", now, now, None))
    for number in range(sizes.linked, sizes.linked + sizes.unlinked):
        contact = _contact_from(rng, rng.choice(clients), number, linked=False)
        contacts.append(contact)
        picks = rng.sample(range(sizes.linked + 1, sizes.clients + 1), SUGGESTIONS)
        suggestions += [(contact["ContactID"], client_id, rng.randint(40, 99), '["Similar name", "Same postcode"]')
                        for client_id in picks]
    connection = db.engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            _copy(cursor, "clients", ("id", "reference", "kind", "name", "first_name", "last_name", "email", "phone",
                                      "address_line1", "address_line2", "city", "region", "postcode", "country",
                                      "tax_number", "account_number", "notes", "archived", "created_at",
                                      "updated_at", "version"),
                  ((number, row["reference"], row["kind"], row["name"], row.get("first_name", ""),
                    row.get("last_name", ""), row["email"], row["phone"], row["address_line1"], "", row["city"], "",
                    row["postcode"], row["country"], row["tax_number"], "", "", number % 50 == 0, now, now, 1)
                   for number, row in enumerate(clients, start=1)))
            _copy(cursor, "invoices", ("id", "number", "client_id", "date", "due_date", "reference", "status",
                                       "subtotal", "tax_total", "total", "amount_paid", "created_at", "updated_at",
                                       "version"),
                  ((number, f"BM-{number:06d}", 1 + (number - 1) // INVOICES_EACH,
                    date(2025, 1, 1) + timedelta(days=number % 365), date(2025, 2, 1) + timedelta(days=number % 365),
                    "", "awaiting_payment", 10000, 2000, 12000, 0, now, now, 1)
                   for number in range(1, sizes.clients_with_invoices * INVOICES_EACH + 1)))
            _copy(cursor, "xero_contacts", ("contact_id", "tenant_id", "name", "contact_number", "status",
                                            "is_customer", "data", "updated_date_utc", "pulled_at"),
                  ((c["ContactID"], TENANT, c["Name"], c["ContactNumber"], "ACTIVE", True, json.dumps(c), now, now)
                   for c in contacts))
            _copy(cursor, "xero_contact_links", ("client_id", "tenant_id", "contact_id", "snapshot", "linked_at",
                                                 "synced_at", "archived_at"), links)
            _copy(cursor, "xero_match_suggestions", ("contact_id", "client_id", "score", "reasons"), suggestions)
            for table in ("clients", "invoices"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
    finally:
        connection.close()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.exec_driver_sql("VACUUM ANALYZE")
    db.engine.dispose()


def _copy(cursor, table, columns, rows):
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# -- load ---------------------------------------------------------------------------------------


def log_in(base):
    """Log in through the login form with its CSRF token, as a browser does; return the cookies."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(f"{base}/login", data={"csrf_token": token, "email": "bench@example.com",
                                                 "password": PASSWORD}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302 and "/login" not in answer.headers["Location"], answer.text[:500]
    return browser.cookies


def targets(rng, sizes):
    """(page, path) pairs: every page sizes.requests_per_page times, shuffled together."""
    pages = {
        "trivial Flask page (baseline)": lambda: "/_bench/trivial",
        "client list, search": lambda: f"/clients/?q={rng.choice(SEARCHES)}",
        "client file": lambda: f"/clients/{rng.randint(1, sizes.clients)}",
        "Xero unlinked list": lambda: f"/tools/integrations/xero/?page={rng.randint(1, sizes.unlinked // 25)}",
    }
    chosen = [(page, make()) for page, make in pages.items() for _ in range(sizes.requests_per_page)]
    rng.shuffle(chosen)
    warm = [(page, make()) for page, make in pages.items() for _ in range(sizes.warm_up)]
    return warm, chosen


def load(base, cookies, work):
    """Send the requests from CONCURRENCY threads; return {page: [seconds]} (warm-up left out)."""
    warm, chosen = work
    latencies, failures = {}, []
    lock = threading.Lock()

    def worker(items, record):
        http = requests.Session()
        http.cookies.update(cookies)
        for page, path in items:
            started = time.perf_counter()
            response = http.get(base + path, timeout=60, allow_redirects=False)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
            elif record:
                with lock:
                    latencies.setdefault(page, []).append(elapsed)

    for items, record in ((warm, False), (chosen, True)):
        threads = [threading.Thread(target=worker, args=(items[n::CONCURRENCY], record)) for n in range(CONCURRENCY)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[:5]}")
    return latencies


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def rows(latencies, seeded_in, sizes):
    baseline = latencies.pop("trivial Flask page (baseline)")
    base50, base95 = _percentile(baseline, 0.5) * 1000, _percentile(baseline, 0.95) * 1000
    found = [
        {"name": "page p50: trivial Flask page (baseline)", "value": round(base50, 1), "unit": "ms",
         "baseline": None, "ratio": None},
        {"name": "page p95: trivial Flask page (baseline)", "value": round(base95, 1), "unit": "ms",
         "baseline": None, "ratio": None,
         "detail": f"gunicorn {WORKERS} sync workers, {CONCURRENCY} concurrent clients, {sizes.requests_per_page} "
                   f"requests a page, PostgreSQL with {sizes.clients:,} clients seeded in {seeded_in:.0f} s"},
    ]
    for page, values in latencies.items():
        p50, p95 = _percentile(values, 0.5) * 1000, _percentile(values, 0.95) * 1000
        found += [
            {"name": f"page p50: {page}", "value": round(p50, 1), "unit": "ms", "baseline": round(base50, 1),
             "ratio": round(p50 / base50, 1)},
            {"name": f"page p95: {page}", "value": round(p95, 1), "unit": "ms", "baseline": round(base95, 1),
             "ratio": round(p95 / base95, 1),
             "detail": f"goal p95 < {GOAL_MS} ms: {'met' if p95 < GOAL_MS else 'MISSED'}; max {max(values) * 1000:.0f} ms"},
        ]
    return found


if __name__ == "__main__":
    from tests.bench.__main__ import print_table

    print_table(run(quick="--quick" in sys.argv))
