"""Small helpers for the core tests (fixtures are in conftest.py and bm/testing.py)."""
import html as html_lib
import re
import socket
import time

import requests
from flask import url_for
from sqlalchemy import select

from bm.extensions import db
from bm.models import Client


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
