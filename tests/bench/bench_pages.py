"""Benchmark page latency with 100,000 clients and 10,000 unlinked Xero customers on PostgreSQL.

A bench database is created (and dropped after) on the PostgreSQL at ``BENCH_POSTGRES``
(default ``postgresql://postgres@127.0.0.1:5432``), filled with COPY, and served by gunicorn
(2 sync workers, as many as the machine has cores) in its own processes. This process logs in
through /login with the CSRF token, walks each list forward through its Next links (so deep
pages are reached the way a user reaches them, whatever the paging scheme), then sends the
requests one at a time, every page mixed in random order, while a second process keeps another
request of the same mix in flight: each page is measured under the same load, the trivial page
too. One measured request at a time with 2 workers: a measured request does not queue behind
another measured one, so the trivial page's p95 is its own and not the slowest page's.
Then the same again with the pages as they were at ``support.BEFORE`` (their ``bm`` and
``plugins`` from git, on the same database): the Before column.

Run it alone with ``python -m tests.bench.bench_pages``.
"""
from __future__ import annotations

import html
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import requests

from tests.bench import support

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
INVOICES_EACH, SUGGESTIONS, CHANGES_PER_RUN = 3, 5, 10
WORKERS, CONCURRENCY, LOAD_CONCURRENCY = 2, 1, 1
TRIVIAL = "trivial Flask page (baseline)"


@dataclass(frozen=True)
class Sizes:
    """How big the practice is and how many requests each page gets."""

    clients: int
    unlinked: int
    linked: int
    clients_with_invoices: int
    sync_runs: int
    pages_walked: int
    requests_per_page: int
    warm_up: int


FULL = Sizes(clients=100_000, unlinked=10_000, linked=20_000, clients_with_invoices=20_000, sync_runs=10_000,
             pages_walked=400, requests_per_page=300, warm_up=20)
QUICK = Sizes(clients=2_000, unlinked=200, linked=400, clients_with_invoices=400, sync_runs=200,
              pages_walked=4, requests_per_page=20, warm_up=2)
GOAL_RATIO = 3
TENANT = "00000000-0000-4000-8000-0000000b3e7c"
SEARCHES = ("smith", "plumbing", "harbour", "jones", "café", "consulting", "ltd", "b01234", "gmail", "zz-nothing")
PASSWORD = "bench-password"


def run(quick: bool = False, before: str | None = None) -> list[dict]:
    """Seed, serve, load; return p50 and p95 of each page with the trivial page as baseline, and
    the same measured with the pages as they were at ``before`` (BEFORE by default, HEAD in quick
    mode) on the same database, served and loaded the same way right after.

    Without PostgreSQL at the default address it is skipped; one named in BENCH_POSTGRES must be there.
    """
    before = before or ("HEAD" if quick else support.BEFORE)
    if not support.revision_here(before):
        print(f"bench: the pages at {before} skipped: no such commit here", file=sys.stderr)
        before = None
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
            return _measure(f"{POSTGRES}/{name}", Path(folder), QUICK if quick else FULL, before)
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_sql(statement):
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def _measure(database_url, folder, sizes, before):
    secrets = {"SECRET_KEY": "bench-secret-key", "BM_ENCRYPTION_KEY": "bench-encryption-key"}
    app = support.bench_app(folder, database_url, **secrets)
    started = time.perf_counter()
    with app.app_context():
        seed(app, sizes)
    seeded_in = time.perf_counter() - started
    env = {**os.environ, **secrets, "DATABASE_URL": database_url, "BM_INSTANCE_PATH": str(folder),
           "BM_LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    found = rows(*_serve_and_time(support.ROOT, env, folder, sizes), seeded_in, sizes)
    if before:
        code = support.code_at(before, folder / "before")
        found = support.with_before(found, rows(*_serve_and_time(code, env, folder, sizes), seeded_in, sizes),
                                    before)
    return found


def _serve_and_time(code, env, folder, sizes):
    """Serve the app in ``code`` with gunicorn, log in, walk the lists and time every page under load:
    ``({page: [seconds]}, {list: pages walked})``."""
    port = support.free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "tests.bench.wsgi_app:app"],
        cwd=code, env=env, stdout=open(folder / "gunicorn.log", "a"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        support.wait_for(f"{base}/login")
        cookies = log_in(base)
        rng = random.Random(5)
        pages = {page: walk(base, cookies, path, sizes.pages_walked) for page, path in LISTS.items()}
        warm, chosen = targets(rng, sizes, pages)
        with background_load(base, cookies, [path for _, path in chosen], folder):
            latencies = load(base, cookies, warm, chosen)
    finally:
        server.terminate()
        server.wait(30)
    return latencies, {page: len(paths) for page, paths in pages.items()}


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
            _copy(cursor, "xero_sync_runs", ("id", "tenant_id", "trigger", "state", "phase", "progress", "counts",
                                             "errors", "message", "queued_at", "started_at", "finished_at"),
                  _sync_runs(sizes.sync_runs, now))
            _copy(cursor, "xero_field_changes", ("run_id", "record_kind", "record_id", "field", "before", "after",
                                                 "source", "conflict", "changed_at"),
                  _field_changes(rng, sizes, now))
            for table in ("clients", "invoices", "xero_sync_runs"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
    finally:
        connection.close()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.exec_driver_sql("VACUUM ANALYZE")
    db.engine.dispose()


def _sync_runs(count, now):
    """A sync every 15 minutes up to ``now``, one in 20 with a problem."""
    for number in range(1, count + 1):
        started = now - timedelta(minutes=15 * (count - number))
        errors = [{"kind": "error", "message": f"Contact {number} could not be saved: name is required"}] \
            if number % 20 == 0 else []
        yield (number, TENANT, "periodic", "finished", "done", 100,
               json.dumps({"contacts_pulled": number % 7, "clients_updated": number % 3}), json.dumps(errors),
               f"{number % 7} contacts read, {number % 3} clients updated", started, started,
               started + timedelta(seconds=3))


def _field_changes(rng, sizes, now):
    """CHANGES_PER_RUN field changes of linked clients in each sync run."""
    for run in range(1, sizes.sync_runs + 1):
        changed_at = now - timedelta(minutes=15 * (sizes.sync_runs - run))
        for _ in range(CHANGES_PER_RUN):
            yield (run, "client", rng.randint(1, sizes.linked), "phone", "0117 000 0000", "0117 555 0000",
                   rng.choice(("xero", "practice")), False, changed_at)


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


LISTS = {
    "client list, paging": "/clients/",
    "invoice list, paging": "/invoices/",
    "Xero unlinked list, paging": "/tools/integrations/xero/",
    "Xero sync history, paging": "/tools/integrations/xero/history",
}
NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next"')


def walk(base, cookies, path, pages):
    """The paths of a list's first ``pages`` pages, following each page's Next link."""
    http = requests.Session()
    http.cookies.update(cookies)
    paths = [path]
    while len(paths) < pages:
        response = http.get(base + paths[-1], timeout=60, allow_redirects=False)
        assert response.status_code == 200, f"{paths[-1]}: {response.status_code}"
        following = NEXT_LINK.search(response.text)
        if not following:
            break
        paths.append(html.unescape(following.group(1)))
    return paths


def targets(rng, sizes, lists):
    """(warm-up, measured) lists of (page, path): every page sizes.requests_per_page times, shuffled."""
    pages = {
        TRIVIAL: lambda: "/_bench/trivial",
        "client list, search": lambda: f"/clients/?q={rng.choice(SEARCHES)}",
        "client file": lambda: f"/clients/{rng.randint(1, sizes.clients)}",
        **{page: (lambda paths=paths: rng.choice(paths)) for page, paths in lists.items()},
    }
    chosen = [(page, make()) for page, make in pages.items() for _ in range(sizes.requests_per_page)]
    rng.shuffle(chosen)
    warm = [(page, make()) for page, make in pages.items() for _ in range(sizes.warm_up)]
    return warm, chosen


@contextmanager
def background_load(base, cookies, paths, folder):
    """Another process sending the same mix of requests, LOAD_CONCURRENCY at a time, until the block ends."""
    work = folder / "load.json"
    work.write_text(json.dumps({"base": base, "cookies": dict(cookies), "paths": paths}))
    loader = subprocess.Popen([sys.executable, "-m", "tests.bench.bench_pages", "--load", str(work)],
                              cwd=support.ROOT)
    try:
        yield
    finally:
        loader.terminate()
        loader.wait(30)


def _keep_loading(work_file):
    """In the load process: request the paths in a loop until terminated."""
    work = json.loads(Path(work_file).read_text())

    def worker(seed):
        http, rng = requests.Session(), random.Random(seed)
        http.cookies.update(work["cookies"])
        while True:
            http.get(work["base"] + rng.choice(work["paths"]), timeout=60, allow_redirects=False)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(LOAD_CONCURRENCY)]
    for thread in threads:
        thread.start()
    threading.Event().wait()


def load(base, cookies, warm, chosen):
    """Send the requests from CONCURRENCY threads; return {page: [seconds]} (warm-up left out)."""
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


def rows(latencies, walked, seeded_in, sizes):
    baseline = latencies.pop(TRIVIAL)
    base50, base95 = _percentile(baseline, 0.5) * 1000, _percentile(baseline, 0.95) * 1000
    found = [
        {"name": f"page p50: {TRIVIAL}", "value": round(base50, 1), "unit": "ms", "baseline": None, "ratio": None},
        {"name": f"page p95: {TRIVIAL}", "value": round(base95, 1), "unit": "ms", "baseline": None, "ratio": None,
         "detail": f"gunicorn {WORKERS} sync workers, {CONCURRENCY} concurrent clients measured and "
                   f"{LOAD_CONCURRENCY} more from a second process, {sizes.requests_per_page} requests a page, "
                   f"PostgreSQL with {sizes.clients:,} clients seeded in {seeded_in:.0f} s"},
    ]
    for page, values in latencies.items():
        p50, p95 = _percentile(values, 0.5) * 1000, _percentile(values, 0.95) * 1000
        pages = f"; the first {walked[page]} pages, walked through Next" if page in walked else ""
        found += [
            {"name": f"page p50: {page}", "value": round(p50, 1), "unit": "ms", "baseline": round(base50, 1),
             "ratio": round(p50 / base50, 1)},
            {"name": f"page p95: {page}", "value": round(p95, 1), "unit": "ms", "baseline": round(base95, 1),
             "ratio": round(p95 / base95, 1), "goal": f"p95 <= {GOAL_RATIO} x trivial page's",
             "met": p95 <= GOAL_RATIO * base95,
             "detail": f"goal p95 <= {GOAL_RATIO} x the trivial page's: {'met' if p95 <= GOAL_RATIO * base95 else 'MISSED'}"
                       f"; max {max(values) * 1000:.0f} ms{pages}"},
        ]
    return found


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        _keep_loading(sys.argv[2])
    else:
        from tests.bench.__main__ import print_table

        print_table(run(quick="--quick" in sys.argv))
