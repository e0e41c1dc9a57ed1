"""Fixtures for the sandbox tests: one server per session, reset before each test."""
import pytest

from xero_sandbox.server import SandboxServer

from .helpers import CALLBACK, XeroApp


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
