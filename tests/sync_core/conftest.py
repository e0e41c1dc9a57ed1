"""Fast tests of the sync core's decisions: no sandbox, no Redis, no migrations.

Pure functions get plain objects; the few rules that live in queries (the outbox's states, a
saved batch) run on a SQLite file built with ``create_all`` once per session, emptied after
each test. ``make mutate`` runs these with the sandbox-backed tests/xero, fastest first, so a
mutant these catch costs a fraction of a second.
"""
import pytest

from bm import create_app
from bm.extensions import db


@pytest.fixture(scope="session")
def core_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("core")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}/core.db", "TESTING": True, "REDIS_URL": None})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return app


@pytest.fixture
def core_db(core_app):
    """The session's SQLite database in an app context, emptied afterwards."""
    with core_app.app_context():
        yield db.session
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
