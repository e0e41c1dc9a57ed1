"""BrightManager: a practice manager for accountancy practices."""
import logging
import os
from importlib import resources
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from . import checks, jobs, proxy
from .config import from_environment
from .extensions import csrf, db, htmx, login_manager, migrate
from .hookspecs import hookimpl
from .inputs import RecordIdConverter
from .localtime import parse_zone
from .plugins import Plugins

__all__ = ["create_app", "hookimpl"]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(config=None):
    """Build the app: settings, extensions, core blueprints, then the enabled plugins'."""
    # Flask's default instance folder: instance/ beside a checkout, <venv>/var/bm-instance installed.
    app = Flask(__name__, instance_path=os.environ.get("BM_INSTANCE_PATH") or None)
    app.config.update(from_environment(app.instance_path))
    app.config.update(config or {})
    app.url_map.converters["int"] = RecordIdConverter  # before any blueprint adds its rules
    parse_zone(app.config["BM_TIMEZONE"])  # an unknown zone stops the app here, saying which setting
    logging.basicConfig(level=os.environ.get("BM_LOG_LEVEL", "INFO"))

    db.init_app(app)
    with app.app_context():
        _tune_engine(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    htmx.init_app(app)
    csrf.init_app(app)
    jobs.init_app(app)
    plugins = Plugins(app, load_entrypoints=app.config.get("BM_LOAD_PLUGINS", True),
                      extra=app.config.get("BM_EXTRA_PLUGINS", ()))

    from . import account, auth, background_views, clients, history_views, invoices, tools, users, views
    from .cli import register_cli

    for module in (account, auth, background_views, clients, history_views, invoices, tools, users, views):
        app.register_blueprint(module.bp)
    for plugin_name, blueprints in plugins.collect_by_plugin("register_blueprints"):
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)
            plugins.blueprint_owners[blueprint.name] = plugin_name
    register_cli(app, plugins)
    views.install(app)
    proxy.install(app)
    _configure_migrations(app, plugins)
    checks.log_problems(app)
    return app


def _tune_engine(engine):
    """SQLite: WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE, so writers queue safely."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN, so savepoints work
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_migrations(app, plugins):
    """Add each plugin's own ``migrations/`` folder (its Alembic branch) to the version path."""
    locations = [str(MIGRATIONS / "versions")]
    for _name, plugin in plugins.installed():
        package = getattr(plugin, "__package__", None) or getattr(plugin, "__name__", "")
        try:
            folder = resources.files(package) / "migrations"
        except (ModuleNotFoundError, TypeError, ValueError):
            continue
        if folder.is_dir():
            locations.append(str(folder))
    app.extensions["bm.migration_locations"] = locations


@migrate.configure
def _add_plugin_branches(alembic_config):
    from flask import current_app

    locations = current_app.extensions.get("bm.migration_locations")
    if locations:
        alembic_config.set_main_option("version_locations", os.pathsep.join(locations))
    return alembic_config
