"""Small helpers for the core tests (fixtures are in conftest.py and bm/testing.py)."""
import contextlib
import html as html_lib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from flask import url_for
from sqlalchemy import select

from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import Client

ROOT = Path(__file__).resolve().parents[1]


def client_named(name):
    """Return the client called ``name`` from the database, or None."""
    db.session.expire_all()
    return db.session.scalar(select(Client).where(Client.name == name))


def html(response):
    """The response body as text."""
    return response.get_data(as_text=True)


def link(page, rel):
    """The path of the page's ``rel`` link ("next", "prev"), or None."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', page)
    return html_lib.unescape(found.group(1)) if found else None


def sample_url(app, rule):
    """Build a URL for ``rule`` with 1 for each of its arguments (ids and names alike)."""
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: 1 for name in rule.arguments})


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_condition(condition, seconds=60):
    """Return once ``condition()`` is true; fail after ``seconds`` (generous: the machine may be busy)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the condition"
        time.sleep(0.1)


def wait_until_serving(url, seconds=60):
    """Wait until a server just started answers ``url``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered {url} within {seconds} s")
def history_rows(page):
    """The rows of a page's first history table as ``(who, field, before, after)``, newest first."""
    table = page[page.index('<table class="table history">'):]
    table = table[:table.index("</table>")]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = [html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append(tuple("" if cell == "(empty)" else cell for cell in cells[1:]))
    return rows


@contextlib.contextmanager
def worker_process(app, **env):
    """A real ``flask --app bm.wsgi worker`` on the test's database and Redis, stopped on the way out."""
    redis_url = app.config.get("REDIS_URL") or f"unix://{redis_connection(app).socket_file}"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "BM_INSTANCE_PATH": app.instance_path,
           "REDIS_URL": redis_url, "BM_LOG_LEVEL": "WARNING", **env}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "bm.wsgi", "worker"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()  # RQ's warm shutdown: the worker leaves the registry
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=15)
