"""Write README's benchmark table from the last full run's tests/bench/results.json.

``make bench-readme`` (after ``make bench``) replaces only the lines between the two markers in
README's Benchmarks section: one row per measure that has a goal, with its baseline, the ratio,
the same measure with the code at an earlier revision where the run took it, and whether the
goal was met.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.bench.__main__ import RESULTS, number

README = Path(__file__).resolve().parents[2] / "README.md"
START = "<!-- bench table: written by make bench-readme from tests/bench/results.json -->"
END = "<!-- end of bench table -->"


def table(results: list[dict], measured_at: datetime) -> str:
    """The rows with a goal as a Markdown table."""
    lines = [f"Measured {measured_at:%Y-%m-%d %H:%M} UTC by `make bench`.", "",
             "| Goal | Measure | Value | Baseline | Ratio | Before | Met |", "|---|---|---|---|---|---|---|"]
    for row in results:
        if not row.get("goal"):
            continue
        before = ""
        if row.get("before") is not None:
            before = f"{number(row['before'])} {row['unit']}"
            before += f" ({number(row['before_ratio'])}×)" if row.get("before_ratio") is not None else ""
            before += f" at {row['before_rev']}" if row.get("before_rev") else ""
        met = {True: "yes", False: "**no**"}.get(row.get("met"), "")
        baseline = "" if row["baseline"] is None else f"{number(row['baseline'])} {row['unit']}"
        ratio = "" if row["ratio"] is None else f"{number(row['ratio'])}×"
        lines.append(f"| {row['goal']} | {row['name']} | {number(row['value'])} {row['unit']} | {baseline} | "
                     f"{ratio} | {before} | {met} |")
    return "\n".join(lines)


def write(readme: Path = README, results: Path = RESULTS) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme.name} has no benchmark table markers ({START} ... {END})")
    rows = json.loads(results.read_text())
    measured_at = datetime.fromtimestamp(results.stat().st_mtime, tz=timezone.utc)
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table(rows, measured_at)}\n{END}{tail}")


if __name__ == "__main__":
    if not RESULTS.exists():
        sys.exit(f"no {RESULTS.name}: run make bench first")
    write()
    print(f"README.md benchmark table written from {RESULTS.name}")
