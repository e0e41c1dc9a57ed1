"""Helpers shared by the core tests (bm.testing holds the main fixtures)."""
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event

from bm import pagination, services
from bm.extensions import db
from support import free_port


@pytest.fixture
def register_plugin(app):
    """Register temporary plugin objects on the app's plugin manager; unregistered after the test."""
    manager = app.extensions["bm.plugins"].pm
    registered = []

    def register(plugin, name):
        manager.register(plugin, name=name)
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        manager.unregister(plugin)


@pytest.fixture
def build_app(database_url):
    """Build extra apps on the test database; their connections are closed after the test."""
    from bm import create_app

    apps = []

    def build(**config):
        application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, **config})
        apps.append(application)
        return application

    yield build
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def approved(make_invoice):
    """An approved invoice of 120.00 awaiting payment."""
    invoice = make_invoice()
    services.approve_invoice(invoice)
    db.session.commit()
    return invoice


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port, collecting what it receives."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def count_statements(monkeypatch):
    """``(statements, expect)``: the SQL of each count run since, and ``expect(rows)``, which makes
    the planner's estimate of every list ``rows``."""
    statements = []

    def expect(rows):
        monkeypatch.setattr(pagination, "_planner_estimate", lambda query: rows)

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT COUNT("):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    yield statements, expect
    event.remove(db.engine, "before_cursor_execute", seen)
