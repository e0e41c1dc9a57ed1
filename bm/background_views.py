"""Tools > Background jobs (admins): queues, workers, running and failed jobs, Retry and Delete."""
import re

from flask import Blueprint, flash, redirect, render_template, url_for
from redis.exceptions import RedisError

from . import background
from .auth import admin_required

bp = Blueprint("background", __name__, url_prefix="/tools/jobs")
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")  # what RQ accepts as a job id (and a length to stop at)


@bp.route("/")
@admin_required
def index():
    """What the workers are doing, from RQ's registries; says so when Redis cannot be reached."""
    try:
        view = {"queues": background.queue_counts(), "workers": background.workers(),
                "started": background.started_jobs(), "failed": background.failed_jobs(),
                "scheduled": background.waiting_jobs("scheduled"), "deferred": background.waiting_jobs("deferred")}
    except (RedisError, OSError) as exc:
        return render_template("tools/background_jobs.html", error=str(exc) or type(exc).__name__), 503
    return render_template("tools/background_jobs.html", error=None, **view)


@bp.route("/failed/<job_id>/retry", methods=["POST"])
@admin_required
def retry(job_id):
    """Put a failed job back on its queue."""
    return _act(background.retry, job_id, "Job {} is queued again.")


@bp.route("/failed/<job_id>/delete", methods=["POST"])
@admin_required
def delete(job_id):
    """Forget a failed job."""
    return _act(background.delete, job_id, "Job {} was deleted.")


def _act(action, job_id, done):
    try:
        found = JOB_ID.fullmatch(job_id) is not None and action(job_id)
    except (RedisError, OSError) as exc:
        flash(f"Redis cannot be reached ({exc}); nothing was changed.", "error")
        return redirect(url_for("background.index"))
    if found:
        flash(done.format(job_id), "success")
    else:
        flash("That job is no longer among the failed jobs.", "warning")
    return redirect(url_for("background.index"))
