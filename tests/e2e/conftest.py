"""Fixtures for the browser tests: the running stack, Debian's Chromium, a signed-in page, axe.

Run with `make test`. Without a Chromium the tests are skipped, saying so (with BM_REQUIRE_BROWSER=1,
as CI sets it, they fail instead). Set
BM_SCREENSHOTS=1 to write the screenshots to docs/screenshots/ (otherwise they go to the
run's temp folder, so a test run leaves the work tree alone).
"""
import json
import os
import shutil
from pathlib import Path

import pytest

from .stack import Stack

ROOT = Path(__file__).resolve().parents[2]


def find_chromium():
    """Debian's Chromium (or BM_CHROMIUM); None when there is none."""
    if os.environ.get("BM_CHROMIUM"):
        return os.environ["BM_CHROMIUM"] if os.access(os.environ["BM_CHROMIUM"], os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser") \
        or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)


CHROMIUM = find_chromium()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NO_CHROMIUM = ("Chromium not found (looked for `chromium` and `chromium-browser` on PATH and /usr/bin/chromium): "
               "browser tests skipped. Install it with `apt-get install -y chromium` (.ci/run does), "
               "or point BM_CHROMIUM at a Chromium binary.")
if os.environ.get("BM_CHROMIUM") and CHROMIUM is None:
    NO_CHROMIUM = f"BM_CHROMIUM={os.environ['BM_CHROMIUM']} is not an executable Chromium: browser tests skipped."
TIMEOUT_MS = 15_000



def skip_without_chromium():
    """Skip the calling test module, once, naming the missing browser; fail instead under BM_REQUIRE_BROWSER=1.

    CI sets BM_REQUIRE_BROWSER=1 so that a green run means the browser tests ran.
    """
    if CHROMIUM is None and os.environ.get("BM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{NO_CHROMIUM} BM_REQUIRE_BROWSER=1 (as CI sets it) requires them to run.", pytrace=False)
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM, allow_module_level=True)  # no Chromium: the reason names it


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """Sandbox, web app and worker running as `make run` runs them; stopped after the session."""
    running = Stack(tmp_path_factory.mktemp("e2e"))
    try:
        running.start()
    except Exception:
        running.stop()
        raise
    yield running
    running.stop()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """Where screenshots go: docs/screenshots with BM_SCREENSHOTS=1, else the run's temp folder."""
    folder = ROOT / "docs" / "screenshots" if os.environ.get("BM_SCREENSHOTS") == "1" else tmp_path_factory.mktemp("shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="class")
def context(browser, stack):
    """One browser for the whole walk: a practice admin who is also logged in to Xero later."""
    context = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture(scope="class")
def page(context):
    page = context.new_page()
    yield page
    page.close()


# An ordered walk: once a step fails, each later step fails at once, naming the step that broke the walk.

def pytest_runtest_makereport(item, call):
    if "incremental" in item.keywords and call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception):
        item.parent._failed_step = item.name
        page = item.funcargs.get("page")
        stack = item.funcargs.get("stack")
        if page is not None and stack is not None:  # leave the evidence beside the process logs
            try:
                page.screenshot(path=str(stack.folder / f"failed-{item.name}.png"), full_page=True)
            except Exception:  # the browser may be what failed
                pass
            item.add_report_section(call.when, "e2e", f"screenshot and logs in {stack.folder}\n{stack.logs()}")


def pytest_runtest_setup(item):
    if "incremental" in item.keywords:
        failed = getattr(item.parent, "_failed_step", None)
        if failed is not None:
            pytest.fail(f"not run: the earlier step {failed} failed", pytrace=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "incremental: later steps are skipped once a step fails")


# Accessibility: axe-core as shipped inside the axe-playwright-python wheel, injected from disk.

SERIOUS = {"serious", "critical"}


def axe_violations(page):
    """Run axe-core on the page; return its violations (every impact)."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    return page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")


class AxeLog:
    """Every page checked, with its violations; written to the temp folder as JSON."""

    def __init__(self, path):
        self.path = path
        self.pages = {}

    def check(self, page, name):
        violations = axe_violations(page)
        self.pages[name] = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations]
        self.path.write_text(json.dumps(self.pages, indent=1))
        serious = [v for v in self.pages[name] if v["impact"] in SERIOUS]
        assert not serious, f"axe found serious violations on {name}: {json.dumps(serious, indent=1)}"


@pytest.fixture(scope="session")
def axe(tmp_path_factory):
    """Checks pages with axe-core; the full results go to BM_AXE_REPORT (a path) or the temp folder."""
    report = os.environ.get("BM_AXE_REPORT")
    return AxeLog(Path(report) if report else tmp_path_factory.mktemp("axe") / "axe.json")
