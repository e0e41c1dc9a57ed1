"""Slowing down password guessing, per e-mail address and per client address, without locking out.

One client address is refused for the rest of the window after ``BM_LOGIN_ADDRESS_ATTEMPTS``
failures (whatever e-mails it tried), which stops one client spraying a password over many
accounts. One e-mail is never locked: after ``BM_LOGIN_ATTEMPTS`` failures each further try
waits a little longer (1, 2, 4 ... up to ``BM_LOGIN_MAX_DELAY_SECONDS``), so guessing is slow
for everyone while the real owner can still sign in; a browser that has signed in to that
account before skips the wait altogether (it is trusted by a signed cookie).
"""
import hashlib
import math
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from .extensions import db
from .models import LoginAttempt, utcnow

KNOWN_DEVICE_COOKIE = "bm_known_device"
KNOWN_ACCOUNTS_KEPT = 5


def client_address():
    """The address failures are counted against (the proxy's view of it is the prod setting's job)."""
    return (request.remote_addr or "")[:64]


def refusal(email):
    """Return why this sign-in attempt for ``email`` must wait, or None to let it through."""
    config = current_app.config
    window = timedelta(seconds=config["BM_LOGIN_WINDOW_SECONDS"])
    now = utcnow()
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - window))
    address_failures = _recent(LoginAttempt.remote_addr == client_address(), now - window)
    if len(address_failures) >= config["BM_LOGIN_ADDRESS_ATTEMPTS"]:
        minutes = math.ceil((address_failures[0] + window - now).total_seconds() / 60)
        return (f"Too many failed attempts from your network. Try again in {_plural(max(minutes, 1), 'minute')}.")
    if is_known_device(email):
        return None
    email_failures = _recent(LoginAttempt.email == email, now - window)
    excess = len(email_failures) - config["BM_LOGIN_ATTEMPTS"]
    if excess < 0:
        return None
    delay = timedelta(seconds=min(2 ** min(excess, 30), config["BM_LOGIN_MAX_DELAY_SECONDS"]))
    wait = math.ceil((email_failures[-1] + delay - now).total_seconds())
    if wait <= 0:
        return None
    return f"Too many failed attempts for this email. Wait {_plural(wait, 'second')} and try again."


def _recent(condition, since):
    """The times of the failed attempts matching ``condition`` since ``since``, oldest first."""
    return list(db.session.scalars(
        select(LoginAttempt.attempted_at).where(condition, LoginAttempt.attempted_at >= since)
        .order_by(LoginAttempt.attempted_at)
    ))


def _plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def record_failure(email):
    """Count a failed sign-in against ``email`` and this client's address."""
    db.session.add(LoginAttempt(email=email[:255], remote_addr=client_address(), attempted_at=utcnow()))


def forget_failures(email):
    """Forget an e-mail's failures once its owner has signed in."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt="bm-known-device")


def _account_key(email):
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def _known_accounts():
    try:
        accounts = _serializer().loads(request.cookies.get(KNOWN_DEVICE_COOKIE, ""))
    except BadSignature:
        return []
    return accounts if isinstance(accounts, list) else []


def is_known_device(email):
    """Whether this browser has signed in to ``email``'s account before."""
    return _account_key(email) in _known_accounts()


def remember_device(response, email):
    """Mark this browser as one that signs in to ``email``'s account (kept for a year)."""
    key = _account_key(email)
    accounts = [key] + [account for account in _known_accounts() if account != key]
    response.set_cookie(
        KNOWN_DEVICE_COOKIE, _serializer().dumps(accounts[:KNOWN_ACCOUNTS_KEPT]), max_age=365 * 24 * 3600,
        httponly=True, samesite="Lax", secure=current_app.session_interface.get_cookie_secure(current_app),
    )
    return response
