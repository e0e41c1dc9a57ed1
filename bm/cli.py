"""Flask commands: create-user, seed-demo, worker, check, ``db upgrade`` of every branch, and ``bm``."""
import click
from flask import current_app
from flask.cli import FlaskGroup
from flask_migrate import upgrade
from flask_migrate.cli import db as db_group

from . import services
from .checks import production_problems
from .demo import seed_demo
from .extensions import db
from .worker import run_worker


@click.command("create-user")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the user the admin role.")
def create_user(email, password, admin):
    """Create a user who can log in."""
    try:
        user = services.create_user(email, password, "admin" if admin else "staff")
    except services.ValidationError as exc:
        raise click.ClickException(" ".join(exc.errors.values())) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo admin, clients and invoices, once."""
    for line in seed_demo():
        click.echo(line)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst):
    """Run a background worker with the app's settings."""
    run_worker(current_app._get_current_object(), burst=burst)


@click.command("check")
def check():
    """Check the settings for production; exit 1 if any is unsafe."""
    problems = production_problems(current_app.config)
    for problem in problems:
        click.echo(f"- {problem}")
    if problems:
        raise click.exceptions.Exit(1)
    click.echo("No problems found in the settings.")


@click.command("upgrade")
@click.argument("revision", default="heads")
def upgrade_all(revision):
    """Upgrade the database to the newest revision of the core and of every plugin."""
    upgrade(revision=revision)


def register_cli(app, plugins):
    """Add the core commands and every enabled plugin's commands to ``flask``."""
    for command in (create_user, seed_demo_command, worker, check):
        app.cli.add_command(command)
    db_group.add_command(upgrade_all, "upgrade")
    for command in plugins.collect("register_commands"):
        app.cli.add_command(command)


def main():
    """The ``bm`` console command: ``flask`` with this app chosen, usable outside a checkout."""
    from . import create_app

    FlaskGroup(create_app=create_app, help="BrightManager's commands (flask --app bm.wsgi ...).")()
