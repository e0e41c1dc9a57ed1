"""Getting client links back: after the red Disconnect, or by contact code after data loss."""
from flask import flash, redirect, render_template, request, url_for

from bm.auth import admin_required
from .. import jobs, run_state
from ..connection import active_connection
from ..sync.restore import archived_links
from . import blueprint

bp = blueprint("xero_recovery", __name__)


@bp.route("/links/recover", methods=["GET", "POST"])
@admin_required
def recover():
    """Offer to restore the links an earlier connection had (GET), then queue the check (POST)."""
    connection = active_connection()
    if connection is None or not connection.is_connected:
        flash("Integrate with Xero first.", "error")
        return redirect(url_for("xero.index"))
    if request.method == "GET":
        return render_template("xero/recover.html", connection=connection,
                               archived=len(archived_links(connection.tenant_id)))
    by_code = request.form.get("by") == "code"
    if not by_code and not archived_links(connection.tenant_id):
        flash("There are no earlier links to restore.", "info")
        return redirect(url_for("xero.index"))
    run_state.send(run_state.queued(connection.tenant_id, "recovery"), jobs.recover_links, by_code)
    flash("Checking the links against Xero; the result appears below when done.", "info")
    return redirect(url_for("xero.index"))
