"""Print the kill rate of the mutants the last `make mutate` checked, per file, and the survivors.

Read from mutmut's own records (mutants/**/*.meta). Killed and timed-out mutants count as caught;
a mutant no selected test runs counts as a survivor, since nothing would notice it either.
Mutants not checked yet (a run narrowed with MUTANTS, or stopped) are left out and counted apart.
"""
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")


def main():
    records = sorted(MUTANTS.glob("plugins/**/*.py.meta"))
    if not records:
        sys.exit("mutants/ holds no results: run make mutate first")
    totals, survivors, seconds = Counter(), [], 0.0
    for record in records:
        meta = json.loads(record.read_text())
        codes = meta.get("exit_code_by_key", {})
        if not codes:
            continue
        statuses = Counter(checked_status(code) for code in codes.values())
        seconds += sum(meta.get("durations_by_key", {}).values())
        survivors += [name for name, code in codes.items() if code is not None
                      and status_by_exit_code[code] in ("survived", "no tests")]
        totals.update(statuses)
        checked = sum(statuses.values()) - statuses["not checked"]
        if checked:
            print(f"{record.relative_to(MUTANTS).with_suffix('')}: {score(statuses)} of {checked} caught")
    checked = sum(totals.values()) - totals["not checked"]
    print(f"\nAll: {score(totals)} of {checked} checked mutants caught "
          f"({_share(totals)}); {totals['not checked']} not checked; {seconds / 60:.0f} min of test time")
    print("\n".join(["Survivors (`.venv/bin/mutmut show NAME` shows each change):"] + survivors)
          if survivors else "No survivors.")


def checked_status(code):
    status = status_by_exit_code[code]
    return "not checked" if status == "check was interrupted by user" else status


def score(statuses):
    return statuses["killed"] + statuses["timeout"]


def _share(statuses):
    checked = sum(statuses.values()) - statuses["not checked"]
    return f"{score(statuses) / checked:.1%}" if checked else "none checked"


if __name__ == "__main__":
    main()
