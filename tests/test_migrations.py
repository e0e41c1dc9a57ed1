"""The schema comes only from the Alembic migrations, on SQLite and on PostgreSQL."""
import uuid

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from bm.extensions import db

CORE_TABLES = {"users", "login_attempts", "clients", "practice_settings", "invoices", "invoice_lines",
               "payments", "plugin_states"}


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL schema."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in database_url else "?"
    yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def tables_of(app):
    with app.app_context():
        names = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return names


def test_db_upgrade_from_an_empty_database(build_app, empty_database):
    app = build_app(SQLALCHEMY_DATABASE_URI=empty_database)
    assert tables_of(app) == set()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = tables_of(app)
    assert CORE_TABLES <= tables
    assert "alembic_version" in tables


def test_db_upgrade_reaches_every_branch_head(build_app, empty_database):
    app = build_app(SQLALCHEMY_DATABASE_URI=empty_database)
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
        db.engine.dispose()
    applied = {revision.revision for revision in script.revision_map.iterate_revisions(current, "base")}
    assert set(script.get_heads()) <= applied


def test_db_upgrade_twice_changes_nothing(build_app, empty_database):
    app = build_app(SQLALCHEMY_DATABASE_URI=empty_database)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    second = runner.invoke(args=["db", "upgrade"])
    assert second.exit_code == 0, second.output


def test_downgrade_to_empty_and_up_again(build_app, empty_database):
    app = build_app(SQLALCHEMY_DATABASE_URI=empty_database)
    runner = app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables_of(app) - {"alembic_version"} == set()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert CORE_TABLES <= tables_of(app)


def test_models_match_the_migrations(build_app, empty_database):
    """Autogenerate finds nothing to add: every model change has its migration (flask db check)."""
    app = build_app(SQLALCHEMY_DATABASE_URI=empty_database)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output + str(result.exception)


def test_the_app_works_on_a_freshly_migrated_database(build_app, empty_database, tmp_path):
    app = build_app(SQLALCHEMY_DATABASE_URI=empty_database)
    runner = app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    with app.app_context():  # the real `flask` command pushes one; the test runner does not
        seeded = runner.invoke(args=["seed-demo"])
    assert "admin@example.com / admin" in seeded.output, seeded.output
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": "admin@example.com", "password": "admin", "csrf_token": token})
    assert response.status_code == 302
    assert "Harbour View Cafe Ltd" in client.get("/clients/").get_data(as_text=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_xero_history_retention_moves_to_the_practice_settings_and_back(build_app, empty_database):
    app = build_app(SQLALCHEMY_DATABASE_URI=empty_database)
    runner = app.test_cli_runner()
    for revision in ("7a1c3e9b2d40", "2da2a73785e4"):  # the core and the Xero branch before the move
        assert runner.invoke(args=["db", "upgrade", revision]).exit_code == 0
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO xero_settings (id, client_sync_enabled, sync_interval_minutes, invoice_sync_enabled, "
            "default_bank_account_id, default_bank_account_name, sales_account_code, default_tax_type, history_days) "
            "VALUES (1, true, 15, false, '', '', '200', '', 30)"))
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SELECT history_days FROM practice_settings WHERE id = 1")).scalar() == 30
        assert "history_days" not in {c["name"] for c in inspect(connection).get_columns("xero_settings")}
        connection.execute(text("UPDATE practice_settings SET history_days = 90"))
        connection.commit()
    assert runner.invoke(args=["db", "downgrade", "2da2a73785e4"]).exit_code == 0
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT history_days FROM xero_settings WHERE id = 1")).scalar() == 90
        db.engine.dispose()
