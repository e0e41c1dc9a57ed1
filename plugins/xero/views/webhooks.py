"""The endpoint Xero posts webhooks to: signed, answered at once, work queued for a worker."""
import json
import logging

from flask import Response, request

from bm.auth import public
from bm.extensions import csrf
from bm.jobs import enqueue

from .. import jobs
from ..config import setting
from ..connection import active_connection
from ..webhooks import changed_records, signature_is_valid
from . import blueprint

bp = blueprint("xero_webhooks", __name__)
log = logging.getLogger(__name__)


@bp.route("/webhooks", methods=["POST"])
@public
@csrf.exempt
def receive():
    """Take a webhook delivery: 401 for a bad signature, otherwise 200 with no body at once."""
    raw = request.get_data(cache=False)
    if not signature_is_valid(raw, request.headers.get("x-xero-signature", ""), setting("XERO_WEBHOOK_KEY")):
        return Response(status=401)
    connection = active_connection()
    try:
        payload = json.loads(raw or b"{}")
    except ValueError:
        log.warning("a signed webhook delivery was not JSON; ignored")
        return Response(status=200)
    except RecursionError:  # nested deeper than the parser can go: no delivery of Xero's looks like that
        log.warning("a signed webhook delivery was nested too deeply to read; refused")
        return Response(status=400)
    if connection is not None and connection.is_connected:
        contact_ids, invoices_changed = changed_records(payload, connection.tenant_id)
        if contact_ids or invoices_changed:
            enqueue(jobs.sync_changed_records, sorted(contact_ids), invoices_changed)
    return Response(status=200)
