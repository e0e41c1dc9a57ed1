"""Print the kill rate of the mutants the last `make mutate` checked, per file, and the survivors.

Read from mutmut's own records (mutants/**/*.meta). Killed, timed-out and type-check-caught
mutants count as caught; a mutant no selected test runs counts as a survivor, since nothing
would notice it either.
Mutants not checked yet (a run narrowed with MUTANTS, or stopped) are left out and counted apart.

``--sample N [--seed S]``: a simple random sample of N of all the core's mutants (seeded, so the
same N and seed name the same mutants); ``--names`` prints its names for `mutmut run`, and
without it the score is the sample's, with a 95% Wilson interval for the whole core's kill rate.
"""
import argparse
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")
Z95 = 1.959964


def main(argv=None):
    options = _options(argv)
    codes_by_file = _records()
    if options.sample:
        chosen = set(sample(codes_by_file, options.sample, options.seed))
        if options.names:
            print("\n".join(sorted(chosen)))
            return
        codes_by_file = {path: {name: code for name, code in codes.items() if name in chosen}
                         for path, codes in codes_by_file.items()}
    report(codes_by_file, options)


def _options(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="score a random sample of this many of all mutants")
    parser.add_argument("--seed", type=int, default=19, help="the sample's seed (default 19)")
    parser.add_argument("--names", action="store_true", help="print the sample's mutant names and stop")
    return parser.parse_args(argv)


def _records():
    """``{source file: {mutant name: exit code or None}}`` for every mutant mutmut generated."""
    records = sorted(MUTANTS.glob("plugins/**/*.py.meta"))
    if not records:
        sys.exit("mutants/ holds no mutants yet: make mutate MUTANTS='plugins.xero.outbox*' makes them all "
                 "(and checks the outbox's)")
    return {str(record.relative_to(MUTANTS).with_suffix("")): json.loads(record.read_text()).get("exit_code_by_key", {})
            for record in records}


def sample(codes_by_file, size, seed):
    """``size`` mutant names drawn at random, without replacement, from all of them."""
    names = sorted(name for codes in codes_by_file.values() for name in codes)
    return random.Random(seed).sample(names, min(size, len(names)))


def report(codes_by_file, options):
    totals, survivors = Counter(), []
    print("| File | Mutants | Checked | Caught | Kill rate |\n|---|---:|---:|---:|---:|")
    for path, codes in codes_by_file.items():
        statuses = Counter(checked_status(code) for code in codes.values())
        survivors += [name for name, code in codes.items() if checked_status(code) in ("survived", "no tests")]
        totals.update(statuses)
        checked = sum(statuses.values()) - statuses["not checked"]
        if checked:
            print(f"| `{path}` | {len(codes)} | {checked} | {score(statuses)} | {_share(statuses)} |")
    checked = sum(totals.values()) - totals["not checked"]
    print(f"| all | {sum(totals.values())} | {checked} | {score(totals)} | {_share(totals)} |")
    if options.sample:
        low, high = wilson(score(totals), checked)
        print(f"\nSample of {options.sample} (seed {options.seed}): {score(totals)} of {checked} checked caught; "
              f"95% interval for the whole core: {low:.1%} to {high:.1%}")
    print(f"\n{totals['not checked']} not checked; {totals['no tests']} reached by no selected test")
    print("\n".join(["Survivors (`.venv/bin/mutmut show NAME` shows each change):"] + survivors)
          if survivors else "No survivors.")


def wilson(caught, checked, z=Z95):
    """The Wilson score interval for a proportion ``caught / checked`` (``(0, 1)`` when none checked)."""
    if not checked:
        return 0.0, 1.0
    share, spread = caught / checked, z * z / checked
    centre = (share + spread / 2) / (1 + spread)
    half = z * math.sqrt(share * (1 - share) / checked + spread / (4 * checked)) / (1 + spread)
    return max(0.0, centre - half), min(1.0, centre + half)


def checked_status(code):
    if code is None:
        return "not checked"
    status = status_by_exit_code[code]
    return "not checked" if status == "check was interrupted by user" else status


def score(statuses):
    return statuses["killed"] + statuses["timeout"] + statuses["caught by type check"]


def _share(statuses):
    checked = sum(statuses.values()) - statuses["not checked"]
    return f"{score(statuses) / checked:.1%}" if checked else "none checked"


if __name__ == "__main__":
    main()
