"""Benchmark the Xero sync against the sandbox (rate limits off): calls per sync and sync cost.

Each scenario runs in a child process of its own (so peak RSS and CPU time are the sync's and
nothing else's) against a sandbox running in yet another process (so Xero's work is not
counted as ours). The app uses a SQLite file: the database work is in-process and its CPU
counts, which is the honest side to err on.

- calls: an organisation of 10,000 contacts (8,000 customers, 100 invoices) and, after
  integrating, 10,000 new practice clients: the first sync; a sync with nothing changed right
  after it; 100 contacts edited in Xero and 100 linked clients edited in the practice; a sync
  with nothing changed again. Each is set against the fewest calls that could do the job: reads
  in pages of 1000 (at least one per list), writes in batches of 50. The same scenario also
  runs with the sync as it was at ``BEFORE`` (its ``bm`` and ``plugins`` from git), for each
  row's figure before.
- big: the first sync of an organisation of 100,000 contacts (80,000 customers) with 20,000
  practice clients, 10,000 there before integrating (left to matching) and 10,000 added after
  (created in Xero): calls against the minimum, CPU per 1,000 records, peak RSS, and the
  matching step's share of the sync's CPU.
- progress: the first sync of 5,000 contacts and 1,000 new clients, in turns with the progress
  updates on and off (``RunRecorder.advance`` made to do nothing), four times each: what showing
  progress costs.

Run it alone with ``python -m tests.bench.bench_sync [--quick] [--before REV]``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench import support

PAGE, BATCH = 1000, 50
RSS_GOAL_MIB = 300
CALLS_GOAL = 1.1  # calls at most 10% above the minimum
PROGRESS_GOAL = 1.02  # progress updates cost under 2% of the sync's CPU
PROGRESS_TURNS = 4  # runs each way, in turns: the least of each is compared, as noise only adds CPU


@dataclass(frozen=True)
class Sizes:
    """How big each scenario's organisation and practice are."""

    contacts: int
    customers: int
    invoices: int
    new_clients: int
    changes: int
    big_contacts: int
    big_customers: int
    big_matched: int
    big_new: int
    progress_contacts: int
    progress_clients: int


FULL = Sizes(contacts=10_000, customers=8_000, invoices=100, new_clients=10_000, changes=100,
             big_contacts=100_000, big_customers=80_000, big_matched=10_000, big_new=10_000,
             progress_contacts=5_000, progress_clients=1_000)
# `make bench-quick`: still more than a page of contacts and a batch of writes, so every path runs.
QUICK = Sizes(contacts=1_200, customers=1_000, invoices=20, new_clients=120, changes=10,
              big_contacts=2_500, big_customers=2_000, big_matched=100, big_new=60,
              progress_contacts=1_100, progress_clients=60)


def run(quick: bool = False, before: str | None = None) -> list[dict]:
    """Run every scenario against one sandbox process (``calls`` also with the sync at ``before``:
    BEFORE by default, HEAD in quick mode, where only the code path matters and a shallow clone
    may not hold BEFORE; skipped outside a git checkout)."""
    before = before or ("HEAD" if quick else support.BEFORE)
    if not support.revision_here(before):
        print(f"bench: the sync at {before} skipped: no such commit here", file=sys.stderr)
        before = None
    with tempfile.TemporaryDirectory(prefix="bm-bench-sync-") as folder, \
            support.sandbox_process(Path(folder)) as sandbox:
        work = Path(folder)
        rows = _in_child("calls", sandbox.url, work / "calls", quick)
        if before:
            earlier = _in_child("calls", sandbox.url, work / "calls-before", quick, support.code_at(before, work / "before"))
            rows = support.with_before(rows, earlier, before)
        rows += _in_child("big", sandbox.url, work / "big", quick)
        runs = {mode: [] for mode in ("on", "off")}
        for turn in range(1 if quick else PROGRESS_TURNS):
            for mode in runs:
                runs[mode] += _in_child(f"progress-{mode}", sandbox.url, work / f"progress-{mode}-{turn}", quick)
    return rows + [_progress_row(runs)]


def _in_child(scenario: str, sandbox_url: str, folder: Path, quick: bool, code: Path | None = None) -> list[dict]:
    """Run a scenario in a child process; with ``code``, a folder whose ``bm`` and ``plugins`` it imports."""
    folder.mkdir()
    done = subprocess.run([sys.executable, "-m", "tests.bench.bench_sync", scenario, sandbox_url, str(folder),
                           "quick" if quick else "full"],
                          cwd=code or support.ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(support.ROOT)} if code else None)
    if done.returncode != 0:
        raise RuntimeError(f"bench_sync {scenario} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _progress_row(runs: dict) -> dict:
    on, off = (min(runs[mode], key=lambda run: run["cpu"]) for mode in ("on", "off"))
    each = {mode: ", ".join(f"{run['cpu']:.2f}" for run in runs[mode]) for mode in runs}
    return {"name": f"sync CPU with progress shown, first sync of {on['records']:,} records", "value": round(on["cpu"], 2),
            "unit": "s", "baseline": round(off["cpu"], 2), "ratio": round(on["cpu"] / off["cpu"], 3),
            "goal": f"<= {PROGRESS_GOAL} x without", "met": on["cpu"] <= PROGRESS_GOAL * off["cpu"],
            "detail": f"least of {len(runs['on'])} run(s) each, in turns; without progress {each['off']} s CPU, with {each['on']} s; "
                      f"wall {on['wall']:.1f} / {off['wall']:.1f} s; {on['updates']} progress updates"}


# -- in the child process ---------------------------------------------------------------------


class PhaseClock:
    """CPU time spent inside chosen sync functions (wrapped where the engine looks them up), and
    the process's peak RSS when each of them returned."""

    def __init__(self):
        self.seconds, self.peak_after = {}, {}

    def wrap(self, module, name):
        original = getattr(module, name)

        def timed(*args, **kwargs):
            started = support.cpu_seconds()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + support.cpu_seconds() - started
                self.peak_after[name] = support.peak_rss_mib()

        setattr(module, name, timed)

    def wrap_phases(self):
        """Wrap each phase of engine.run_sync."""
        from plugins.xero.sync import contacts, engine

        for name in ("pull_contacts", "sync_linked", "push_new_clients"):
            self.wrap(contacts, name)
        self.wrap(engine.invoices, "sync_invoices")
        self.wrap(engine.suggestions, "refresh_suggestions")

    def describe(self):
        return ", ".join(f"{name} {self.seconds[name]:.1f} s CPU (peak {self.peak_after[name]:.0f} MiB after)"
                         for name in self.seconds)


def _sync(app, sandbox, connection_id):
    """One sync as a worker runs it; return (SyncRun, API calls by endpoint, CPU s, wall s)."""
    from bm.jobs import redis_connection
    from plugins.xero.models import XeroConnection
    from plugins.xero.oauth import client_for
    from plugins.xero.sync import engine

    from bm.extensions import db

    sandbox.admin("POST", "stats/reset")
    xero = client_for(db.session.get(XeroConnection, connection_id))
    cpu, wall = support.cpu_seconds(), time.perf_counter()
    run = engine.run_sync(xero, connection_id, redis_connection(app))
    cpu, wall = support.cpu_seconds() - cpu, time.perf_counter() - wall
    assert run.state == "finished", run.message
    return run, sandbox.api_calls(), cpu, wall


def _calls_row(label, calls, minimum, detail=""):
    total = sum(calls.values())
    return {"name": f"Xero calls: {label}", "value": total, "unit": "calls", "baseline": minimum,
            "ratio": round(total / minimum, 2), "goal": f"<= {CALLS_GOAL} x minimum", "met": total <= CALLS_GOAL * minimum,
            "detail": detail or _by_endpoint(calls)}


def _by_endpoint(calls):
    return ", ".join(f"{key.replace('/api.xro/2.0/', '')} {count}" for key, count in sorted(calls.items()))


def _pages(count):
    return max(1, math.ceil(count / PAGE))


def scenario_calls(sandbox, folder, sizes):
    """First sync, nothing changed, 100 changes each side, nothing changed again."""
    from sqlalchemy import select

    from bm import services
    from bm.extensions import db
    from bm.models import Client
    from plugins.xero.models import ContactLink
    from tests.xero.conftest import InXero

    began = time.perf_counter()
    seeded = sandbox.fresh(contacts=sizes.contacts, customers=sizes.customers, invoices=sizes.invoices)
    seeding = time.perf_counter() - began
    app = support.bench_app(folder, sandbox_url=sandbox.url)
    clock = PhaseClock()
    clock.wrap_phases()
    rows = [{"name": "sandbox seeding per 1,000 contacts", "value": round(seeding / sizes.contacts * 1000, 3),
             "unit": "s", "baseline": None, "ratio": None,
             "detail": f"{sizes.contacts:,} contacts and {sizes.invoices:,} invoices in {seeding:.1f} s wall"}]
    with app.app_context():
        connection = support.integrate(app, sandbox.url)
        in_xero_total = len(InXero(sandbox.url).contacts_all())
        services.import_clients(support.client_rows(sizes.new_clients))
        db.session.commit()

        run, calls, cpu, wall = _sync(app, sandbox, connection.id)
        pulled, created = run.counts.get("contacts_pulled", 0), run.counts.get("contacts_created", 0)
        assert created == sizes.new_clients, run.counts
        minimum = _pages(in_xero_total) + _pages(seeded["invoices"]) + math.ceil(sizes.new_clients / BATCH)
        rows.append(_calls_row(f"first sync, {in_xero_total:,} contacts + {sizes.new_clients:,} new clients",
                               calls, minimum))
        pull_cpu, push_cpu = clock.seconds["pull_contacts"], clock.seconds["push_new_clients"]
        rows += [
            {"name": "sync CPU per 1,000 contacts pulled", "value": round(pull_cpu / pulled * 1000, 3),
             "unit": "s", "baseline": None, "ratio": None, "detail": f"{pulled:,} pulled in {pull_cpu:.1f} s CPU"},
            {"name": "sync CPU per 1,000 clients pushed", "value": round(push_cpu / created * 1000, 3),
             "unit": "s", "baseline": None, "ratio": None, "detail": f"{created:,} created in {push_cpu:.1f} s CPU"},
            {"name": "sync CPU per 1,000 records, whole first sync", "value": round(cpu / (pulled + created) * 1000, 3),
             "unit": "s", "baseline": None, "ratio": None,
             "detail": f"{cpu:.1f} s CPU, {wall:.1f} s wall for {pulled + created:,} records; {clock.describe()}"},
        ]

        run, calls, cpu, wall = _sync(app, sandbox, connection.id)
        rows.append(_calls_row("nothing changed, right after the first sync", calls, 2,
                               f"{_by_endpoint(calls)}; {run.counts.get('contacts_pulled', 0):,} contacts re-read"))

        links = db.session.scalars(select(ContactLink).order_by(ContactLink.id).limit(2 * sizes.changes)).all()
        in_xero = InXero(sandbox.url)
        in_xero.call("POST", "Contacts", json={"Contacts": [
            {"ContactID": link.contact_id, "EmailAddress": f"changed.in.xero.{number}@example.com"}
            for number, link in enumerate(links[:sizes.changes])]})
        for number, link in enumerate(links[sizes.changes:]):
            client = db.session.get(Client, link.client_id)
            services.update_client(client, {**client.as_dict(), "phone": f"0117 555 {number:04d}"})
        db.session.commit()
        run, calls, cpu, wall = _sync(app, sandbox, connection.id)
        assert run.counts.get("clients_updated") == run.counts.get("contacts_updated") == sizes.changes, run.counts
        rows.append(_calls_row(f"incremental, {sizes.changes} changes each side", calls,
                               _pages(sizes.changes) + _pages(0) + math.ceil(sizes.changes / BATCH)))

        run, calls, cpu, wall = _sync(app, sandbox, connection.id)
        rows.append(_calls_row("nothing changed, steady state", calls, 2))
    support.stop_embedded_redis(app)
    return rows


def scenario_big(sandbox, folder, sizes):
    """The first sync of 100,000 contacts and 20,000 clients: calls, CPU, peak RSS, matching's share."""
    from bm import services
    from bm.extensions import db

    seeded = sandbox.fresh(contacts=sizes.big_contacts, customers=sizes.big_customers)
    app = support.bench_app(folder, sandbox_url=sandbox.url)
    clock = PhaseClock()
    clock.wrap_phases()
    with app.app_context():
        services.import_clients(support.client_rows(sizes.big_matched))  # before integrating: left for matching
        db.session.commit()
        connection = support.integrate(app, sandbox.url)
        services.import_clients(support.client_rows(sizes.big_new, start=sizes.big_matched + 1))  # added to Xero
        db.session.commit()
        db.session.expire_all()
        rss_before = support.peak_rss_mib()
        run, calls, cpu, wall = _sync(app, sandbox, connection.id)
        pulled, created = run.counts.get("contacts_pulled", 0), run.counts.get("contacts_created", 0)
    support.stop_embedded_redis(app)
    peak = support.peak_rss_mib()
    matching = clock.seconds["refresh_suggestions"]
    label = f"first sync of {pulled:,} contacts + {sizes.big_matched + sizes.big_new:,} clients"
    minimum = _pages(pulled) + _pages(seeded.get("invoices", 0)) + math.ceil(sizes.big_new / BATCH)
    return [
        _calls_row(label, calls, minimum),
        {"name": f"sync peak RSS, {label}", "value": round(peak, 1), "unit": "MiB",
         "baseline": RSS_GOAL_MIB, "ratio": round(peak / RSS_GOAL_MIB, 2), "goal": f"< {RSS_GOAL_MIB} MiB",
         "met": peak < RSS_GOAL_MIB,
         "detail": f"{rss_before:.0f} MiB before the sync (baseline = the goal); {clock.describe()}"},
        {"name": f"sync CPU per 1,000 records, {label}", "value": round(cpu / (pulled + created) * 1000, 3),
         "unit": "s", "baseline": None, "ratio": None, "goal": "reported",
         "detail": f"{cpu:.1f} s CPU, {wall:.1f} s wall for {pulled:,} contacts read and {created:,} created"},
        {"name": f"matching share of sync CPU, {label}", "value": round(100 * matching / cpu, 1), "unit": "%",
         "baseline": None, "ratio": None, "goal": "reported",
         "detail": f"{matching:.1f} of {cpu:.1f} s CPU matching {run.counts.get('contacts_to_match', 0):,} "
                   f"customers with suggestions against {sizes.big_matched:,} unlinked clients"},
    ]


def scenario_progress(sandbox, folder, sizes, shown):
    """A first sync with the progress updates on (``shown``) or off: its CPU and wall time."""
    from bm import services
    from bm.extensions import db
    from plugins.xero.sync import engine

    updates = []
    advance = engine.RunRecorder.advance
    engine.RunRecorder.advance = (lambda self, *args: (updates.append(args), advance(self, *args))) if shown else (
        lambda self, *args: None)
    sandbox.fresh(contacts=sizes.progress_contacts, customers=sizes.progress_contacts // 2)
    app = support.bench_app(folder, sandbox_url=sandbox.url)
    with app.app_context():
        connection = support.integrate(app, sandbox.url)
        services.import_clients(support.client_rows(sizes.progress_clients))
        db.session.commit()
        run, _calls, cpu, wall = _sync(app, sandbox, connection.id)
        records = run.counts.get("contacts_pulled", 0) + run.counts.get("contacts_created", 0)
    support.stop_embedded_redis(app)
    return [{"cpu": cpu, "wall": wall, "records": records, "updates": len(updates)}]


def _child(scenario, sandbox_url, folder, size):
    sandbox = support.SandboxAdmin(sandbox_url)
    sizes = QUICK if size == "quick" else FULL
    if scenario.startswith("progress-"):
        rows = scenario_progress(sandbox, Path(folder), sizes, scenario == "progress-on")
    else:
        rows = {"calls": scenario_calls, "big": scenario_big}[scenario](sandbox, Path(folder), sizes)
    print(json.dumps(rows))


if __name__ == "__main__":
    if len(sys.argv) == 5 and not sys.argv[1].startswith("-"):
        _child(*sys.argv[1:])
    else:
        from tests.bench.__main__ import print_table

        parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_sync")
        parser.add_argument("--quick", action="store_true", help="tiny sizes, same code paths")
        parser.add_argument("--before", metavar="REV",
                            help=f"also run the calls scenario with the sync at this git revision (default {support.BEFORE})")
        options = parser.parse_args()
        print_table(run(quick=options.quick, before=options.before))
