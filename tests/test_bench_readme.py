"""make bench-readme: README's benchmark table is written from results.json, and nothing else in
README changes."""
import json

from tests.bench import readme

ROWS = [
    {"module": "sync", "name": "Xero calls: nothing changed, right after the first sync", "value": 2, "unit": "calls",
     "baseline": 2, "ratio": 1.0, "goal": "<= 1.1 x minimum", "met": True, "before": 22, "before_ratio": 11.0,
     "before_rev": "6d7538b"},
    {"module": "sync", "name": "sync peak RSS, first sync", "value": 311.5, "unit": "MiB", "baseline": 300,
     "ratio": 1.04, "goal": "< 300 MiB", "met": False, "before": None, "before_ratio": None, "before_rev": None},
    {"module": "sandbox", "name": "Sandbox: seed 20,000 contacts", "value": 1.4, "unit": "s", "baseline": None,
     "ratio": None, "goal": None, "met": None, "before": None, "before_ratio": None, "before_rev": None},
]


def test_the_table_between_the_markers_is_written_from_the_results(tmp_path):
    results, page = tmp_path / "results.json", tmp_path / "README.md"
    results.write_text(json.dumps(ROWS))
    page.write_text(f"# Title\n\n## Benchmarks\n\nBefore the table.\n\n{readme.START}\nan old table\n{readme.END}\n\n"
                    "### Matching accuracy\n\nuntouched\n")
    readme.write(page, results)
    text = page.read_text()
    head, rest = text.split(readme.START)
    table, tail = rest.split(readme.END)
    assert head == "# Title\n\n## Benchmarks\n\nBefore the table.\n\n"
    assert tail == "\n\n### Matching accuracy\n\nuntouched\n"
    lines = table.strip().splitlines()
    assert lines[2:] == [
        "| Goal | Measure | Value | Baseline | Ratio | Before | Met |", "|---|---|---|---|---|---|---|",
        "| <= 1.1 x minimum | Xero calls: nothing changed, right after the first sync | 2 calls | 2 calls | 1× "
        "| 22 calls (11×) at 6d7538b | yes |",
        "| < 300 MiB | sync peak RSS, first sync | 311.5 MiB | 300 MiB | 1.04× |  | **no** |",
    ]
    readme.write(page, results)
    assert page.read_text() == text  # written again, the same
