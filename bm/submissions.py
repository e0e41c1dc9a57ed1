"""One-time form tokens: a form posted twice, one after the other or both at once, acts once.

A form carries a fresh random token. Its POST claims the token by inserting a row in the
same transaction as the work, and records where the work led. A second POST of the same
token finds the row (PostgreSQL makes a concurrent insert wait for the first transaction;
SQLite runs write transactions one at a time) and is sent to the first one's result. A
submission that fails rolls the row back with everything else, so the form can be fixed
and posted again.
"""
import re
import secrets
from datetime import timedelta

from flask import flash, redirect, request
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .extensions import db
from .models import FormSubmission, utcnow

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEPT_FOR = timedelta(days=1)


def new_token():
    """A token for a form about to be shown."""
    return secrets.token_urlsafe(24)


def claim(token):
    """Claim ``token`` for this request; return where its earlier submission led, or None to go on.

    A missing or malformed token claims nothing (the form is handled as before, without the guard).
    """
    if not TOKEN.fullmatch(token or ""):
        return None
    now = utcnow()
    db.session.execute(delete(FormSubmission).where(FormSubmission.created_at < now - KEPT_FOR))
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[db.session.get_bind().dialect.name]
    claimed = db.session.execute(
        insert(FormSubmission).values(token=token, location="", created_at=now)
        .on_conflict_do_nothing().returning(FormSubmission.token)
    ).scalar()
    if claimed:
        return None
    return db.session.scalar(select(FormSubmission.location).where(FormSubmission.token == token)) or None


def earlier_result(what):
    """Claim this POST's form token; if it was posted before, return a redirect to what it made."""
    location = claim(request.form.get("form_token"))
    if location is None:
        return None
    flash(f"This {what} was already saved; here it is.", "info")
    return redirect(location)


def record(location):
    """Remember where this POST's work led (call before the commit); return ``location``."""
    token = request.form.get("form_token")
    if TOKEN.fullmatch(token or ""):
        db.session.get(FormSubmission, token).location = location
    return location
