"""Helpers shared by the core tests (bm.testing holds the main fixtures)."""
import pytest
from sqlalchemy import select

from bm.extensions import db
from bm.models import Client


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


def client_named(name):
    """Return the client called ``name`` from the database, or None."""
    db.session.expire_all()
    return db.session.scalar(select(Client).where(Client.name == name))


def html(response):
    return response.get_data(as_text=True)
