"""``bm xero ...`` (``flask --app bm.wsgi xero ...``): sync in the foreground, show the connection."""
import click
from flask.cli import AppGroup

from bm.jobs import redis_connection

from .config import setting
from .oauth import client_for
from .connection import active_connection
from .sync import engine

xero = AppGroup("xero", help="The Xero integration.")


@xero.command("sync")
def sync():
    """Run one full sync now, in the foreground, and print its summary."""
    connection = active_connection()
    if connection is None:
        raise click.ClickException("Not integrated with Xero: use Tools > Integrations > Xero first.")
    run = engine.run_sync(client_for(connection), connection.id, redis_connection(), trigger="cli",
                          lock_seconds=setting("XERO_SYNC_LOCK_SECONDS"))
    click.echo(f"{run.state}: {run.message}")
    for error in run.errors or []:
        click.echo(f"  - {error['message']}")
    if run.state not in ("finished",):
        raise SystemExit(1)


@xero.command("status")
def status():
    """Print the connection's organisation and status."""
    connection = active_connection()
    if connection is None:
        click.echo("Not integrated with Xero.")
        return
    click.echo(f"{connection.organisation_name} ({connection.tenant_id}): {connection.status}"
               + (f" - {connection.status_reason}" if connection.status_reason else ""))
