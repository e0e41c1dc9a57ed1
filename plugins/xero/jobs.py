"""RQ entry points: they take ids, build a XeroClient and call sync/; errors raise to RQ."""
from rq import get_current_job

from bm.extensions import db
from bm.jobs import redis_connection, timeout
from bm.plugins import current_plugins

from .config import setting
from .connection import active_connection, integration_settings
from . import run_state
from .models import XeroConnection
from .oauth import client_for
from .sync import engine
from .sync.preview import preview_sync

# Xero takes at most 5,000 calls a day from an organisation, 60 a minute: a run cannot make more
# than 5,000 calls (it stops itself at the daily limit), which takes 84 minutes. Two hours lets
# any run finish; what a sync does is committed as it goes, so a stopped one loses nothing.
SYNC_TIMEOUT = 2 * 3600


@timeout(SYNC_TIMEOUT)
def sync_organisation(run_id=None, trigger="periodic"):
    """Run one sync of the connected organisation (does nothing while the plugin is off)."""
    if not current_plugins().is_enabled("xero"):
        return None
    connection = active_connection()
    if connection is None:
        return None
    run = engine.run_sync(client_for(connection), connection.id, redis_connection(), run_id, trigger,
                          lock_seconds=setting("XERO_SYNC_LOCK_SECONDS"))
    return run.id


@timeout(SYNC_TIMEOUT)
def sync_changed_records(contact_ids, invoices_changed):
    """Sync the contacts (and invoices) a Xero webhook named; the periodic sync is the safety net."""
    if not current_plugins().is_enabled("xero"):
        return None
    connection = active_connection()
    if connection is None:
        return None
    run = engine.run_targeted(client_for(connection), connection.id, redis_connection(), set(contact_ids),
                              invoices_changed, lock_seconds=setting("XERO_SYNC_LOCK_SECONDS"))
    return run.id


@timeout(SYNC_TIMEOUT)
def recover_links(run_id, by_code):
    """Restore archived links, or find links by contact code (see sync/restore.py)."""
    if not current_plugins().is_enabled("xero"):
        return None
    connection = active_connection()
    return engine.run_link_recovery(client_for(connection), connection.id, redis_connection(), run_id, by_code,
                                    lock_seconds=setting("XERO_SYNC_LOCK_SECONDS")).id


def queue_sync(trigger="manual"):
    """Queue a sync run unless a live one is already waiting or running; return the run.

    Runs whose worker died are marked abandoned first (see run_state), so they never block
    this one. The caller's work is committed here, before the job is sent.
    """
    connection = active_connection()
    live = run_state.reap(redis_connection(), connection.tenant_id)
    if live is not None:
        return live
    return run_state.send(run_state.queued(connection.tenant_id, trigger), sync_organisation, trigger)


def sync_interval_seconds():
    """The periodic sync interval from Integration Settings (0 switches it off)."""
    return integration_settings().sync_interval_minutes * 60


@timeout(SYNC_TIMEOUT)
def preview_job(connection_id):
    """RQ entry point: work out a Preview sync, keeping its progress in the job's meta; returns the result."""
    if not current_plugins().is_enabled("xero"):
        return None
    connection = db.session.get(XeroConnection, connection_id)
    job = get_current_job()

    def progress(phase, percent):
        if job is not None:
            job.meta.update(phase=phase, progress=percent)
            job.save_meta()

    try:
        return preview_sync(client_for(connection), connection, progress)
    except Exception as exc:
        if job is not None:
            job.meta["error"] = f"The preview could not be worked out: {exc}"
            job.save_meta()
        raise  # RQ keeps it as failed
