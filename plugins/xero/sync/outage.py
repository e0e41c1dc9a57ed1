"""A pause while Xero is unavailable: the run that met it stops cleanly, and syncs before the end
of the pause are skipped without calling Xero; the periodic sync after it carries on by itself."""
import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from bm.models import utcnow

log = logging.getLogger(__name__)


def _key(tenant_id):
    return f"bm:xero:unavailable:{tenant_id}"


def pause(redis, tenant_id, seconds):
    """Note that Xero is unavailable to this organisation for ``seconds``; return when syncing resumes."""
    resumes = utcnow() + timedelta(seconds=seconds)
    try:
        redis.set(_key(tenant_id), resumes.isoformat(), ex=max(1, int(seconds)))
    except RedisError as exc:  # the next sync then simply tries Xero again
        log.warning("could not note that Xero is unavailable: %s", exc)
    return resumes


def resumes_at(redis, tenant_id):
    """When syncing resumes after Xero was unavailable, or None when it may go ahead now."""
    try:
        value = redis.get(_key(tenant_id))
    except RedisError as exc:
        log.warning("could not read whether Xero is unavailable: %s", exc)
        return None
    if not value:
        return None
    resumes = datetime.fromisoformat(value.decode() if isinstance(value, bytes) else value)
    return resumes if resumes > utcnow() else None
