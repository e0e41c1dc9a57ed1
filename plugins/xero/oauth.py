"""Connecting to Xero: the OAuth2 code flow with state and PKCE, the organisation choice,
tokens encrypted at rest, and token refresh under a lock shared by every process.
"""
import json
import logging
import secrets
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bm import crypto
from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import utcnow
from bm.proxy import external_url_for

from .api import InvalidGrant, XeroAuthError, XeroClient, new_pkce_pair
from .config import setting
from .connection import active_connection
from .models import XeroConnection
from .usage import UsageRecorder

log = logging.getLogger(__name__)
REFRESH_MARGIN = timedelta(seconds=120)


class AuthorisationFailed(Exception):
    """The return from Xero's consent page cannot be trusted or used; the message says why."""


class UnsavedChanges(RuntimeError):
    """A Xero call was about to leave while the session held changes nobody committed: a bug in the caller."""


# -- the session around each Xero call ----------------------------------------------------------

WRITTEN = "bm_xero_written"  # session.info key: what this transaction has sent to the database so far


def _end_clean_transaction():
    """Before each Xero call: end the session's transaction, so no lock or snapshot is held while
    waiting on the network, and refuse if it holds changes.

    Committing them here would save half of a service's work without anyone deciding to: the
    caller commits (or rolls back) first, where it means to.
    """
    session = db.session()
    names = _changed_names(session) | session.info.get(WRITTEN, set())
    if names:
        raise UnsavedChanges(f"A Xero call was made with unsaved changes to {', '.join(sorted(names))}: commit or "
                             "roll back before calling Xero.")
    session.commit()


def _changed_names(session):
    changed = [*session.new, *session.deleted, *(obj for obj in session.dirty if session.is_modified(obj))]
    return {type(obj).__name__ for obj in changed}


def _watch_writes():
    """Note on the session when its transaction writes, until that transaction ends (once per process)."""
    session_class = db.session.session_factory.class_
    if getattr(session_class, "_bm_xero_watching", False):
        return
    event.listen(session_class, "after_flush", _note_flush)
    event.listen(session_class, "do_orm_execute", _note_bulk_write)
    event.listen(session_class, "after_transaction_end", _forget_writes)
    session_class._bm_xero_watching = True


def _note_flush(session, _context):
    session.info.setdefault(WRITTEN, set()).update(_changed_names(session))  # still the pre-flush lists here


def _note_bulk_write(state):
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        state.session.info.setdefault(WRITTEN, set()).add(mapper.class_.__name__ if mapper else "a table")


def _forget_writes(session, transaction):
    if transaction.parent is None:  # the outer transaction ended: committed or rolled back
        session.info.pop(WRITTEN, None)


# -- tokens at rest ---------------------------------------------------------------------------


def encrypt_tokens(token_set):
    """Encrypt a token set (dict) for storage."""
    return crypto.encrypt(json.dumps(token_set).encode())


def decrypt_tokens(blob):
    """Decrypt a stored token set; an unreadable one (key changed) is empty."""
    try:
        return json.loads(crypto.decrypt(blob))
    except (crypto.InvalidToken, ValueError):
        log.error("stored Xero tokens cannot be decrypted: was BM_ENCRYPTION_KEY changed?")
        return {}


def _expiry(token_set):
    return utcnow() + timedelta(seconds=int(token_set.get("expires_in") or 1800))


# -- clients ------------------------------------------------------------------------------------


def identity_client():
    """A XeroClient for the sign-in steps, before any organisation is chosen."""
    _watch_writes()
    return XeroClient(setting("XERO_CLIENT_ID"), setting("XERO_CLIENT_SECRET"), setting("XERO_BASE_URL") or None,
                      timeout=setting("XERO_HTTP_TIMEOUT"), backoff=setting("XERO_HTTP_BACKOFF"),
                      before_call=_end_clean_transaction, redis=redis_connection())


def client_for(connection):
    """A XeroClient for the connection's organisation, refreshing its tokens as needed."""
    client = identity_client()
    client.tokens = TokenKeeper(connection.id, identity_client(), current_app._get_current_object())
    client.tenant_id = connection.tenant_id
    client.on_response = UsageRecorder(connection.tenant_id)
    return client


class TokenKeeper:
    """Hands out a valid access token for one connection, refreshing it when due.

    A refresh happens under a Redis lock per connection, so across every process and machine
    only one refresh runs at a time; the others then read the token it saved. The rotated
    token set is committed (in its own transaction) before anyone uses it.
    """

    def __init__(self, connection_id, identity, app):
        self.connection_id, self.identity, self.app = connection_id, identity, app

    def access_token(self):
        connection = self._load()
        if connection.access_expires_at is None or connection.access_expires_at - REFRESH_MARGIN <= utcnow():
            return self.refresh(stale=connection.encrypted_tokens)
        return decrypt_tokens(connection.encrypted_tokens).get("access_token", "")

    def scopes(self):
        """The scopes Xero granted the current token set (space-separated), or None when it did not say."""
        return decrypt_tokens(self._load().encrypted_tokens).get("scope")

    def refresh(self, stale=None):
        """Refresh the token set (unless another process just did) and return the access token."""
        stale = stale if stale is not None else self._load().encrypted_tokens
        lock = redis_connection(self.app).lock(f"bm:xero:refresh:{self.connection_id}", timeout=60,
                                                blocking_timeout=90)
        with lock:
            with Session(db.engine) as own:
                connection = own.get(XeroConnection, self.connection_id, with_for_update=_row_lock(own))
                if connection.encrypted_tokens != stale and connection.access_expires_at - REFRESH_MARGIN > utcnow():
                    return decrypt_tokens(connection.encrypted_tokens).get("access_token", "")
                tokens = decrypt_tokens(connection.encrypted_tokens)
                try:
                    new_tokens = self.identity.refresh_token(tokens.get("refresh_token", ""))
                except InvalidGrant:
                    mark_disconnected(own, connection, "Xero no longer accepts the integration's "
                                                       "authorisation (the refresh token was refused).")
                    own.commit()
                    raise
                connection.encrypted_tokens = encrypt_tokens(new_tokens)
                connection.access_expires_at = _expiry(new_tokens)
                own.commit()
                return new_tokens["access_token"]

    def _load(self):
        with Session(db.engine) as own:
            connection = own.get(XeroConnection, self.connection_id)
            own.expunge(connection)
            return connection


def _row_lock(own_session):
    return own_session.bind.dialect.name == "postgresql"


def mark_disconnected(session, connection, reason):
    """Soft-disconnect: keep links and queued work; the page offers Reconnect."""
    connection.status = "disconnected"
    connection.status_reason = reason
    session.add(connection)


# -- the flow ---------------------------------------------------------------------------------


def callback_url():
    return external_url_for("xero.callback")


def start_authorisation():
    """Return the Xero consent address, remembering state and PKCE verifier in the session."""
    state = secrets.token_urlsafe(32)
    verifier, challenge = new_pkce_pair()
    session["xero_oauth"] = {"state": state, "verifier": verifier}
    scopes = setting("XERO_SCOPES")
    return identity_client().authorization_url(callback_url(), scopes, state, challenge)


def finish_authorisation(args):
    """Check Xero's return (state, code), swap the code for tokens and store them.

    :return: the connection awaiting the organisation choice.
    :raises AuthorisationFailed: for a forged, replayed or refused return.
    """
    pending = session.pop("xero_oauth", None)
    if args.get("error"):
        raise AuthorisationFailed(f"Xero did not authorise the integration ({args.get('error')[:100]}).")
    # compared as bytes: compare_digest refuses non-ASCII text, and the state is whatever the address held
    if not pending or not args.get("state") or not secrets.compare_digest(args["state"].encode(),
                                                                          pending["state"].encode()):
        raise AuthorisationFailed("The answer from Xero did not match this browser's request. "
                                  "Start again with Integrate with Xero.")
    if not args.get("code"):
        raise AuthorisationFailed("Xero's answer had no authorisation code. Start again.")
    try:
        tokens = identity_client().exchange_code(args["code"], callback_url(), pending["verifier"])
    except XeroAuthError as exc:
        raise AuthorisationFailed("Xero refused the sign-in: its authorisation could not be used "
                                  "(expired, already used, or not from this browser). "
                                  "Start again with Integrate with Xero.") from exc
    connection = XeroConnection(status="pending", encrypted_tokens=encrypt_tokens(tokens),
                                access_expires_at=_expiry(tokens), scopes=tokens.get("scope", ""))
    db.session.add(connection)
    db.session.flush()
    return connection


def available_organisations(connection):
    """The organisations the new authorisation reaches, as ``[{tenantId, tenantName, id}]``."""
    return [c for c in client_for(connection).connections() if c.get("tenantType", "ORGANISATION") == "ORGANISATION"]


def choose_organisation(connection, tenant_id):
    """Bind the connection to one organisation; reuse the practice's earlier connection to it.

    While the practice is integrated (connected or soft-disconnected) only that organisation may
    be chosen: Reconnect never moves the links to another one.

    :return: the connection now in use (an earlier row for the same organisation keeps its
        links and queued work).
    """
    organisations = {c["tenantId"]: c for c in available_organisations(connection)}
    if tenant_id not in organisations:
        raise AuthorisationFailed("Choose one of the organisations you gave access to.")
    current = active_connection()
    if current is not None and current.tenant_id != tenant_id:
        # its links, waiting changes and invoices belong to that organisation: switching is the red Disconnect's job
        raise AuthorisationFailed(
            f"BrightManager is integrated with {current.organisation_name}: choose it to reconnect. To integrate "
            "with another organisation, first use Disconnect, which ends the links with this one.")
    earlier = db.session.scalar(
        select(XeroConnection).where(XeroConnection.tenant_id == tenant_id, XeroConnection.id != connection.id)
        .order_by(XeroConnection.id.desc())
    )
    if earlier is not None:
        earlier.encrypted_tokens, earlier.access_expires_at = connection.encrypted_tokens, connection.access_expires_at
        earlier.scopes = connection.scopes
        db.session.delete(connection)
        connection = earlier
    connection.tenant_id = tenant_id
    connection.xero_connection_id = organisations[tenant_id].get("id")
    db.session.commit()  # the token keeper reads the connection in a session of its own
    organisation = client_for(connection).organisation()
    connection.organisation_name = organisation.get("Name") or organisations[tenant_id].get("tenantName", "")
    connection.short_code = organisation.get("ShortCode") or ""
    connection.status, connection.status_reason = "connected", ""
    connection.connected_at = utcnow()
    return connection
