"""The plugin's pages, one blueprint a module, all under Tools > Integrations > Xero.

Who commits: a view commits the request's work once, after the functions it calls return,
and rolls back when they refuse (so a refused change leaves nothing behind). The functions
below a view stage changes and never commit, except where something outside the transaction
must see the change first, and each of those says why where it commits: a Xero call (it
refuses unsaved changes), a job being queued (``jobs.queue_sync``), a lock being released
(Link all's undo, switching invoice sync on). Jobs and the sync run in transactions of their
own and commit as they go.

Pages follow the core's htmx rule: one template a page, extending ``base_template`` (the bare
``_partial.html`` for htmx requests), and the htmx request selects its part with ``hx-select``.
"""
import functools
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, url_for

from ..connection import active_connection

URL_PREFIX = "/tools/integrations/xero"
# A contact id that is not one of the connected organisation's contacts (gone, or an earlier organisation's).
NOT_IN_ORGANISATION = "That Xero contact is not one of {}'s contacts, so nothing was linked."
TEMPLATES = str(Path(__file__).resolve().parent.parent / "templates")


def blueprint(name, import_name):
    """A blueprint of the plugin's pages under Tools > Integrations > Xero."""
    return Blueprint(name, import_name, url_prefix=URL_PREFIX, template_folder=TEMPLATES)


def connection_or_404():
    """The connection in use, or a 404 when the practice is not integrated."""
    return active_connection() or abort(404)


def connected_only(view):
    """Send the user back to the Xero page, saying why, while the integration is disconnected."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not connection_or_404().is_connected:
            flash("The integration is disconnected: use Reconnect Xero Integration first.", "error")
            return redirect(url_for("xero.index"))
        return view(*args, **kwargs)

    return guarded
