"""The reliability report: what one run of tests/reliability counted, and copying it into README.

The suite writes ``tests/reliability/report.md`` (git-ignored) with only this run's rows, each
marked with its test's outcome. ``make report`` (``python -m tests.reliability.report``) copies
that file into README.md between the reliability-report markers; nothing else writes README.
"""
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORT = Path(__file__).with_name("report.md")
README = ROOT / "README.md"
START, END = "<!-- reliability-report:start -->", "<!-- reliability-report:end -->"
COLUMNS = ("Scenario", "Faults injected", "Sync runs", "Records", "Duplicates found", "Records lost", "Result")


def commit():
    """The checked-out commit, and whether the work tree differed from it (so the figures may too)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} with uncommitted changes" if dirty else head


def render(rows, setup, uncounted=()):
    """The report as Markdown: when, on what and where it ran, one row per scenario, tests that failed uncounted."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    passed = sum(row[-1] == "passed" for row in rows)
    lines = [f"Run of {when} on commit {commit()}, {setup}: "
             f"{len(rows)} scenarios, {passed} passed.", "",
             "| " + " | ".join(COLUMNS) + " |", "|---|---|---:|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    if uncounted:
        lines += ["", "Failed before counting anything: " + ", ".join(uncounted) + "."]
    return "\n".join(lines) + "\n"


def into_readme(report, readme):
    """README's text with the block between the markers replaced by the report."""
    if START not in readme or END not in readme:
        raise ValueError(f"README.md has no {START} ... {END} block to put the report in")
    head, rest = readme.split(START, 1)
    return f"{head}{START}\n{report}{END}{rest.split(END, 1)[1]}"


def main():
    if not REPORT.exists():
        sys.exit(f"{REPORT.relative_to(ROOT)} does not exist: run the reliability tests first "
                 "(make test PYTEST_ARGS=tests/reliability)")
    README.write_text(into_readme(REPORT.read_text(), README.read_text()))
    print(f"README.md: reliability table replaced by {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
