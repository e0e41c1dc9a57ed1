"""Tools > Integrations > Xero: the usage panel (calls per hour against the limits, sync outcomes)."""
from flask import render_template

from .. import usage, usage_chart
from . import blueprint, connection_or_404

bp = blueprint("xero_usage", __name__)


@bp.route("/usage")
def usage_page():
    """Xero calls per hour over the last seven days against the limits, and the syncs' outcomes
    (the Xero page loads its ``#xero-usage`` part with htmx)."""
    connection = connection_or_404()
    hours = usage.last_hours(connection.tenant_id)
    outcomes = usage.sync_outcomes(connection.tenant_id)
    context = {"connection": connection, "calls": usage_chart.calls_chart(hours),
               "outcomes": usage_chart.outcomes_chart(outcomes), "hours": hours, "days": outcomes,
               "total": sum(hour.calls for hour in hours), "usage": usage}
    return render_template("xero/usage.html", **context)
