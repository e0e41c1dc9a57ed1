"""Tools > Integrations > Xero > Sync history and Preview sync."""
import uuid

from flask import abort, current_app, redirect, render_template, request, url_for
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job

from bm.auth import admin_required
from bm.extensions import db, htmx
from bm.inputs import day, record_id
from bm.jobs import enqueue, redis_connection
from bm.pagination import paginate

from .. import history, jobs, run_state
from ..oauth import client_for
from ..sync.preview import preview_sync
from . import blueprint, connected_only, connection_or_404

bp = blueprint("xero_history", __name__)
PAGE_SIZE = 25
CHANGES_PAGE_SIZE = 50
PREVIEW_KEEP_SECONDS = 3600


# -- sync history ---------------------------------------------------------------------------------


@bp.route("/history")
def history_index():
    """Every sync run with its counts, errors and conflicts, filterable by state, dates and error text."""
    connection = connection_or_404()
    filters = history.RunFilters(state=request.args.get("state", "") if request.args.get("state") in
                                 run_state.RUN_STATES else "", since=day(request.args.get("since")),
                                 until=day(request.args.get("until")), text=(request.args.get("q") or "").strip())
    page = paginate(history.runs_query(connection.tenant_id, filters), history.RUNS_ORDER, size=PAGE_SIZE)
    return render_template("xero/history.html", connection=connection, page=page,
                           filters=filters, states=run_state.RUN_STATES, history=history,
                           days=history.retention_days())


@bp.route("/history/runs/<int:run_id>")
def history_run(run_id):
    """One sync run: what it did, its problems and conflicts, and the field changes it made."""
    connection = connection_or_404()
    run = connection.organisation_run(run_id) or abort(404)
    changes = db.session.scalars(history.changes_query(history.ChangeFilters(run_id=run.id)).limit(100)).all()
    total = db.session.scalar(db.select(db.func.count()).select_from(
        history.changes_query(history.ChangeFilters(run_id=run.id)).order_by(None).subquery()))
    return render_template("xero/history_run.html", connection=connection, run=run, changes=changes, total=total,
                           names=history.record_names(changes), history=history)


@bp.route("/history/changes")
def history_changes():
    """Every field change the sync made, filterable by record, field, side, conflicts, run and dates."""
    connection = connection_or_404()
    filters = history.ChangeFilters(
        record_kind=request.args.get("kind", "") if request.args.get("kind") in ("client", "invoice") else "",
        record_id=request.args.get("record_id", type=record_id), record=(request.args.get("record") or "").strip(),
        field=request.args.get("field", ""),
        source=request.args.get("side", "") if request.args.get("side") in history.SIDES else "",
        conflict=request.args.get("conflict") == "1", run_id=request.args.get("run", type=record_id),
        since=day(request.args.get("since")), until=day(request.args.get("until")))
    if filters.run_id is not None and connection.organisation_run(filters.run_id) is None:
        abort(404)  # an earlier organisation's run, or one the retention removed
    page = paginate(history.changes_query(filters), history.CHANGES_ORDER, size=CHANGES_PAGE_SIZE)
    return render_template("xero/history_changes.html", connection=connection,
                           page=page, filters=filters, names=history.record_names(page.items), history=history,
                           fields=history.fields_recorded(), title=_record_title(filters))


def _record_title(filters):
    if filters.record_id is None or not filters.record_kind:
        return ""
    names = history.record_names([type("Key", (), {"record_kind": filters.record_kind,
                                                   "record_id": filters.record_id})()])
    name = names.get((filters.record_kind, filters.record_id))
    return f"{'Client' if filters.record_kind == 'client' else 'Invoice'} {name}" if name else ""


# -- preview sync ---------------------------------------------------------------------------------


@bp.route("/preview", methods=["POST"])
@admin_required
@connected_only
def preview_start():
    """Queue a Preview sync (Xero reads only) and show its progress."""
    connection = connection_or_404()
    job_id = f"xero-preview-{uuid.uuid4()}"
    job = enqueue(jobs.preview_job, connection.id, job_id=job_id, result_ttl=PREVIEW_KEEP_SECONDS)
    if job is None:  # no workers reachable: work it out here instead
        return render_template("xero/preview.html", connection=connection, job_id=None, state="finished",
                               result=preview_sync(client_for(connection), connection), meta={})
    return redirect(url_for("xero_history.preview_show", job_id=job_id))


@bp.route("/preview/<job_id>")
@admin_required
def preview_show(job_id):
    """A Preview sync: its progress bar while it runs (polled by htmx), then what the next sync would do."""
    connection = connection_or_404()
    state, meta, result = _preview_job_state(job_id)
    response = current_app.make_response(render_template("xero/preview.html", connection=connection, job_id=job_id,
                                                         state=state, meta=meta, result=result))
    if htmx and state not in ("queued", "started"):
        response.status_code = 286  # tells htmx to stop polling
    return response


def _preview_job_state(job_id):
    if not job_id.startswith("xero-preview-"):
        abort(404)
    try:
        job = Job.fetch(job_id, connection=redis_connection())
        status = job.get_status(refresh=True)
    except NoSuchJobError:
        abort(404)
    except (RedisError, OSError):
        return "unavailable", {}, None
    state = {"queued": "queued", "deferred": "queued", "scheduled": "queued", "started": "started",
             "finished": "finished"}.get(str(getattr(status, "value", status)), "failed")
    result = job.return_value() if state == "finished" else None
    if state == "failed":
        return state, {"error": job.meta.get("error") or "The preview stopped on an unexpected error."}, None
    return state, job.meta, result
