"""Sample plugin: a blueprint, a command and panels, loaded in tests through BM_EXTRA_PLUGINS."""
import click
from flask import Blueprint, render_template_string

from bm import hookimpl
from bm.ui import Panel

NAME = __name__
bp = Blueprint("sample", __name__, url_prefix="/tools/sample", template_folder="templates")


@bp.route("/")
def index():
    """Say hello from the plugin's own page."""
    return render_template_string("<p>Hello from the sample plugin</p>")


@click.command("sample-hello")
def hello():
    """Print a greeting from the sample plugin."""
    click.echo("hello from the sample plugin")


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_commands():
    return [hello]


@hookimpl
def client_panels(client):
    return [Panel(title="Sample panel", template="sample/panel.html", context={"what": client.reference})]


@hookimpl
def invoice_panels(invoice):
    return [Panel(title="Sample invoice panel", template="sample/panel.html", context={"what": invoice.number})]
