"""Fixtures for the sandbox tests: one server per session, reset before each test."""
import pytest

from xero_sandbox.server import SandboxServer

from .conformance import NO_SPECS, have_specs
from .helpers import CALLBACK, XeroApp


def pytest_terminal_summary(terminalreporter):
    """Say so when the sandbox's answers could not be checked against Xero's own specs."""
    if not have_specs():
        terminalreporter.write_line(f"sandbox spec checks skipped: {NO_SPECS}")


@pytest.fixture(scope="session")
def sandbox_server():
    """A sandbox (admin on) for the whole test session."""
    with SandboxServer(redirect_uris=[CALLBACK]) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The session's sandbox, back in its demo state, with Xero's limits and no faults."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def xero(sandbox):
    """An app connected to Demo Company (UK) through the code flow."""
    return XeroApp(sandbox.url)
