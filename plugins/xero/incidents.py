"""The periodic incident check: end dead sync runs, then e-mail the admins once per incident.

An incident is a kind of trouble (``attention.troubles``: disconnected, daily limit, failing,
abandoned, no worker). It is remembered in Redis from its e-mail until the trouble clears, so a
trouble that lasts is e-mailed once, not once a failed run, and one that clears and comes back
is e-mailed again. Without ``BM_SMTP_HOST`` nothing is sent; the banner shows it all the same.
"""
import logging

from flask import current_app
from sqlalchemy import select

from bm import mail
from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import User
from bm.plugins import current_plugins

from . import attention, run_state
from .connection import active_connection

log = logging.getLogger(__name__)
CHECK_SECONDS = 60
INCIDENTS_KEY = "bm:xero:incidents"  # the kinds of trouble the admins were told of that have not cleared
SUBJECT = "BrightManager: the Xero integration needs someone"


def check():
    """Periodic job: mark dead runs abandoned, forget cleared incidents, e-mail new ones; return their kinds."""
    if not current_plugins().is_enabled("xero"):
        return []
    connection = active_connection()
    redis = redis_connection()
    if connection is not None:
        run_state.reap(redis, connection.tenant_id)
    troubles = {trouble.kind: trouble for trouble in attention.troubles()}
    told = {kind.decode() for kind in redis.smembers(INCIDENTS_KEY)}
    if told - set(troubles):
        redis.srem(INCIDENTS_KEY, *(told - set(troubles)))
    new = [trouble for kind, trouble in troubles.items() if kind not in told]
    if not new or not mail.configured():
        return []
    try:
        for address in db.session.scalars(select(User.email).where(User.role == "admin", User.active.is_(True))):
            mail.send(address, SUBJECT, _body(new))
    except mail.MailNotSent as exc:
        log.warning("could not e-mail the admins about %s (tried again next check): %s", [t.kind for t in new], exc)
        return []
    redis.sadd(INCIDENTS_KEY, *(trouble.kind for trouble in new))
    return [trouble.kind for trouble in new]


def _body(troubles):
    where = f"{current_app.config.get('BM_PUBLIC_URL') or ''}/tools/integrations/xero/"
    return "\n\n".join(trouble.text for trouble in troubles) + (
        f"\n\nWhat to do: {where}\nYou are told once; the banner in BrightManager shows it until it is fixed.")
