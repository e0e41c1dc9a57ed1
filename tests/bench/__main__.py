"""`make bench`: run every benchmark module's run(), print a table, write results.json.

``python -m tests.bench [--quick] [matching sync pages sandbox]`` runs only the named ones (in
results.json they replace their own last rows and keep the others').
``--quick`` (`make bench-quick`, run by CI) runs the same code paths at tiny sizes in a minute
or two, so a broken benchmark fails CI; its figures mean nothing and are not written to
results.json.
Each row is ``{name, value, unit, baseline, ratio}``; a row may add its ``goal`` (words) and
whether it was ``met``, its ``before`` and ``before_ratio`` (the same measure with the code at the earlier revision
``before_rev``, in the same run), and a ``detail`` sentence, which is printed under the table but not written to
results.json.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

MODULES = ("matching", "sync", "pages", "sandbox")
RESULTS = Path(__file__).with_name("results.json")
FIELDS = ("module", "name", "value", "unit", "baseline", "ratio", "goal", "met", "before", "before_ratio", "before_rev")


def print_table(results: list[dict]) -> None:
    """Print the rows as a fixed-width table, details after it."""
    width = max([len(row["name"]) for row in results] + [9])
    print(f"{'benchmark':<{width}} {'value':>10} {'unit':<6} {'baseline':>9} {'ratio':>6} {'before':>9}")
    for row in results:
        print(f"{row['name']:<{width}} {number(row['value']):>10} {row['unit']:<6} "
              f"{number(row['baseline']):>9} {number(row['ratio']):>6} {number(row.get('before')):>9}")
    details = [row for row in results if row.get("detail")]
    if details:
        print()
        for row in details:
            print(f"- {row['name']}: {row['detail']}")


def number(value) -> str:
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3f}".rstrip("0").rstrip(".")


def main(argv: list[str]) -> int:
    options = _arguments(argv)
    results = []
    started = time.perf_counter()
    for name in options.names or MODULES:
        module = importlib.import_module(f"tests.bench.bench_{name}")
        began = time.perf_counter()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        rows = module.run(quick=options.quick)
        print(f"bench: {name} took {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        results += [{**row, "module": name} for row in rows]
    print_table(results)
    took = f"after {time.perf_counter() - started:.0f} s"
    if options.quick:
        print(f"\n{len(results)} results (quick mode: tiny sizes, not written) {took}")
        return 0
    ran = {row["module"] for row in results}
    kept = [row for row in _previous() if row.get("module") not in ran]  # other benchmarks' last figures
    RESULTS.write_text(json.dumps(kept + [{key: row.get(key) for key in FIELDS} for row in results], indent=2) + "\n")
    print(f"\n{len(results)} results in {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
          f" {took}")
    return 0


def _previous() -> list[dict]:
    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return []


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, same code paths (CI)")
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"benchmarks to run (default: all of {', '.join(MODULES)})")
    options = parser.parse_args(argv)
    unknown = sorted(set(options.names) - set(MODULES))
    if unknown:
        parser.error(f"no benchmark called {', '.join(unknown)} (there are {', '.join(MODULES)})")
    return options


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
