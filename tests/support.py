"""Small helpers for the core tests (fixtures are in conftest.py and bm/testing.py)."""
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


def sample_url(app, rule):
    """Build a URL for ``rule`` with 1 for each of its arguments (ids and names alike)."""
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: 1 for name in rule.arguments})
