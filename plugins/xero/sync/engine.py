"""One sync of the organisation: lock, pull, reconcile, push, and a record of what happened."""
import logging
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from redis.exceptions import LockError, RedisError
from sqlalchemy import select

from bm.extensions import db
from bm.localtime import local_time
from bm.models import utcnow

from ..api import AccessRefused, DailyLimitReached, InvalidGrant, XeroAuthError, XeroError, XeroOffline
from ..models import SyncRun, XeroConnection
from ..connection import integration_settings
from .. import run_state
from . import contacts, invoices, outage, restore, suggestions

log = logging.getLogger(__name__)
LOCK_SECONDS = 60
LOCK_WAIT_SECONDS = 15  # how long a user's action waits for a running sync to finish
MAX_RECORDED_ERRORS = 200


class SyncBusy(Exception):
    """Another sync of the same organisation holds the lock."""


class RunRecorder:
    """Keeps a SyncRun's counts, errors and progress as the sync goes."""

    def __init__(self, run):
        self.run = run
        self.counts, self.errors = dict(run.counts or {}), []

    def count(self, name, amount=1):
        self.counts[name] = self.counts.get(name, 0) + amount
        self.run.counts = dict(self.counts)

    def note_error(self, message, record=None):
        log.warning("xero sync: %s", message)
        self.count("errors")
        self._keep({"message": message, "record": repr(record)[:300] if record is not None else ""})

    def note_conflict(self, name, field, practice_value, xero_value, winner):
        self.count("conflicts")
        self._keep({"message": f"{name}: {field} changed in both systems (practice {practice_value!r}, "
                               f"Xero {xero_value!r}); the {winner} change won.", "record": "", "kind": "conflict"})

    def _keep(self, entry):
        if len(self.errors) < MAX_RECORDED_ERRORS:
            self.errors.append(entry)
            self.run.errors = list(self.errors)

    def phase(self, name, progress):
        self.run.phase, self.run.progress = name, progress
        db.session.commit()

    def advance(self, done, total, what, low, high):
        """Show how far a step is in records ("4,000 of 10,009 contacts read from Xero") and move the
        bar from ``low`` towards ``high``. Not committed here: the step's own next commit saves it."""
        self.run.phase = (f"{done:,} of {total:,} {what}" if total else f"{done:,} {what}")[:64]
        if total:
            self.run.progress = low + (high - low) * min(done, total) // total


@contextmanager
def organisation_lock(redis, tenant_id, seconds=LOCK_SECONDS, owner=None):
    """Hold the one-sync-per-organisation lock, or raise SyncBusy.

    The lock lives ``seconds`` and a heartbeat renews it while the sync runs, so a worker
    that dies (even by SIGKILL) blocks the organisation for at most ``seconds``. ``owner``
    (a sync run's, see run_state) is the lock's value, which tells the run is alive.
    """
    lock = redis.lock(run_state.lock_key(tenant_id), timeout=seconds, thread_local=False)
    if not lock.acquire(blocking=False, token=owner or uuid.uuid4().hex):
        raise SyncBusy(tenant_id)
    stop = threading.Event()
    heartbeat = threading.Thread(target=_renew, args=(lock, seconds, stop), daemon=True)
    heartbeat.start()
    try:
        yield lock
    finally:
        stop.set()
        heartbeat.join()
        try:
            lock.release()
        except LockError:  # it expired while the heartbeat could not reach Redis
            log.warning("sync lock for %s had expired", tenant_id)


@contextmanager
def wait_for_organisation_lock(redis, tenant_id, busy_message):
    """Hold the organisation's sync lock, waiting up to LOCK_WAIT_SECONDS for a running sync to
    finish; past that, raise SyncBusy with ``busy_message``."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        with ExitStack() as held:
            try:
                lock = held.enter_context(organisation_lock(redis, tenant_id))
            except SyncBusy:
                if time.monotonic() > deadline:
                    raise SyncBusy(busy_message) from None
                time.sleep(0.5)
                continue
            yield lock
            return


def _renew(lock, seconds, stop):
    while not stop.wait(seconds / 3):
        try:
            lock.extend(seconds, replace_ttl=True)
        except (LockError, RedisError) as exc:
            log.warning("could not renew the sync lock: %s", exc)


def run_sync(xero, connection_id, redis, run_id=None, trigger="manual", lock_seconds=LOCK_SECONDS):
    """Run one full sync of the connection's organisation and return its SyncRun.

    Contacts changed in Xero are pulled, linked pairs are brought into step, new practice
    clients are created in Xero, then invoices. A run that cannot get the organisation's lock
    is recorded as skipped; a refused token soft-disconnects the integration and keeps all
    queued work.
    """
    return _guarded_run(xero, connection_id, redis, run_id, trigger, lock_seconds, _full_sync)


def run_targeted(xero, connection_id, redis, contact_ids, invoices_changed, lock_seconds=LOCK_SECONDS):
    """Sync just what a Xero webhook said changed: those contacts by id, and invoices if any changed."""

    def targeted(xero, connection, recorder):
        recorder.phase("Fetching the changed contacts from Xero", 20)
        changed = contacts.fetch_contacts(xero, connection.tenant_id, contact_ids, recorder)
        contacts.sync_linked(xero, connection.tenant_id, changed, set(), recorder)
        if invoices_changed:
            invoices.sync_invoices(xero, connection, recorder)
        recorder.phase("Matching Xero customers with clients", 90)
        suggestions.refresh_suggestions(connection.tenant_id)

    return _guarded_run(xero, connection_id, redis, None, "webhook", lock_seconds, targeted)


def run_link_recovery(xero, connection_id, redis, run_id, by_code=False, lock_seconds=LOCK_SECONDS):
    """Restore the links the red Disconnect archived (checked against Xero), or, with ``by_code``,
    find links again by contact code after a fresh pull."""

    def recover(xero, connection, recorder):
        if by_code:
            recorder.phase("Fetching contacts from Xero", 10)
            contacts.pull_contacts(xero, connection, recorder)
            restore.recover_links_by_code(connection.tenant_id, recorder)
        else:
            restore.restore_archived_links(xero, connection.tenant_id, recorder)
        recorder.phase("Matching Xero customers with clients", 90)
        suggestions.refresh_suggestions(connection.tenant_id)

    return _guarded_run(xero, connection_id, redis, run_id, "recovery", lock_seconds, recover)


def _full_sync(xero, connection, recorder):
    recorder.phase("Fetching contacts from Xero", 10)
    changed_contacts, pull = contacts.pull_contacts(xero, connection, recorder)
    recorder.phase("Updating linked clients", 45)
    contacts.sync_linked(xero, connection.tenant_id, changed_contacts,
                         contacts.linked_clients_waiting(connection.tenant_id), recorder)
    if integration_settings().client_sync_enabled:
        recorder.phase("Creating new clients in Xero", 50)
        contacts.push_new_clients(xero, connection.tenant_id, recorder)
    contacts.skip_own_writes(connection, pull)
    invoices.sync_invoices(xero, connection, recorder)
    recorder.phase("Matching Xero customers with clients", 90)
    recorder.count("contacts_to_match", suggestions.refresh_suggestions(
        connection.tenant_id, lambda done, total: recorder.advance(done, total, "Xero customers matched", 90, 99)))


def _guarded_run(xero, connection_id, redis, run_id, trigger, lock_seconds, steps):
    connection = db.session.get(XeroConnection, connection_id)
    run = db.session.get(SyncRun, run_id) if run_id else None
    if run is None:
        run = run_state.queued(connection.tenant_id, trigger)
    if connection.status != "connected":
        return run_state.finish(run, "skipped", "The integration is not connected.")
    if connection.daily_limit_until and connection.daily_limit_until > utcnow():
        return run_state.finish(run, "skipped", f"Xero's daily limit is reached; syncing resumes at "
                                                f"{local_time(connection.daily_limit_until, '%H:%M')}.")
    resumes = outage.resumes_at(redis, connection.tenant_id)
    if resumes:
        return run_state.finish(run, "skipped", f"Xero is unavailable; syncing resumes at "
                                                f"{local_time(resumes, '%H:%M')}.")
    try:
        with organisation_lock(redis, connection.tenant_id, lock_seconds, owner=run_state.lock_owner(run.id)):
            # the lock is held until the run's ending is recorded: a run seen running without it is dead
            return _locked_run(xero, connection_id, redis, run, steps)
    except SyncBusy:
        return run_state.finish(run, "skipped", "Another sync of this organisation was already running.")


def _locked_run(xero, connection_id, redis, run, steps):
    connection = db.session.get(XeroConnection, connection_id)
    try:
        recorder = RunRecorder(run)
        run_state.running(run)  # shown as running before the first call to Xero
        steps(xero, connection, recorder)
        return run_state.finish(run, "finished", _summary(recorder.counts))
    except DailyLimitReached as exc:
        db.session.rollback()
        connection = db.session.get(XeroConnection, connection_id)
        connection.daily_limit_until = utcnow() + timedelta(seconds=exc.retry_after)
        return run_state.finish(run, "stopped", f"Xero's daily limit was reached; the work done is kept and syncing "
                                                f"resumes at {local_time(connection.daily_limit_until, '%H:%M')}.")
    except XeroOffline as exc:
        db.session.rollback()
        resumes = outage.pause(redis, db.session.get(XeroConnection, connection_id).tenant_id, exc.retry_after)
        return run_state.finish(run, "stopped", f"Xero is unavailable; syncing resumes at "
                                                f"{local_time(resumes, '%H:%M')}. The work done is kept.")
    except InvalidGrant:
        db.session.rollback()
        return run_state.finish(run, "failed", "Xero no longer accepts the integration's authorisation (it was revoked, or "
                                                "went unused for 60 days): Reconnect Xero Integration, then Sync Now.")
    except AccessRefused as exc:
        db.session.rollback()
        return run_state.finish(run, "stopped", str(exc))
    except XeroAuthError as exc:
        db.session.rollback()
        connection = db.session.get(XeroConnection, connection_id)
        connection.status, connection.status_reason = "disconnected", str(exc)
        return run_state.finish(run, "failed", f"{exc} Reconnect Xero Integration, then Sync Now.")
    except XeroError as exc:
        db.session.rollback()
        return run_state.finish(run, "failed", f"{exc} Nothing was lost; the next sync carries on.")
    except Exception as exc:
        # Recorded so the page never shows a sync running forever, then raised for RQ to keep.
        db.session.rollback()
        run_state.finish(run, "failed", f"The sync stopped on an unexpected error ({exc.__class__.__name__}); "
                                        "it has been logged and the next sync carries on.")
        raise


SUMMARY = [
    ("contacts_pulled", "contact{s} read from Xero"), ("contacts_created", "client{s} added to Xero"),
    ("contacts_updated", "contact{s} updated in Xero"), ("clients_updated", "client{s} updated from Xero"),
    ("contacts_recovered", "interrupted addition{s} recovered"), ("links_restored", "link{s} restored"),
    ("links_recovered", "link{s} found again by contact code"), ("conflicts", "conflict{s} resolved"),
    ("invoices_created", "invoice{s} added to Xero"), ("invoices_updated_in_xero", "draft{s} updated in Xero"),
    ("invoices_imported", "invoice{s} brought in from Xero"), ("invoices_approved", "invoice{s} approved in Xero"),
    ("payments_pulled", "payment{s} from Xero"), ("payments_pushed", "payment{s} sent to Xero"),
    ("invoices_recovered", "interrupted invoice addition{s} recovered"), ("errors", "problem{s}"),
]


def _summary(counts):
    parts = [f"{counts[key]} {label.format(s='' if counts[key] == 1 else 's')}"
             for key, label in SUMMARY if counts.get(key)]
    return "Sync finished: " + (", ".join(parts) if parts else "nothing to change") + "."


def latest_run(tenant_id):
    """The most recent sync run of an organisation, or None."""
    return db.session.scalar(select(SyncRun).where(SyncRun.tenant_id == tenant_id).order_by(SyncRun.id.desc()).limit(1))
