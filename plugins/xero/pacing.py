"""Pacing under the limits Xero reports on every answer (XERO-NOTES §5).

Per organisation, ``X-MinLimit-Remaining`` (60 a minute) is paced by each client on its own.
The app-wide ``X-AppMinLimit-Remaining`` (10,000 a minute across every organisation) is shared
by every process, so when one sees it nearly spent, or meets an "appminute" 429, it notes in
Redis until when, and every process waits for that moment before its next call. The daily
allowance is not paced: its 429 says when it resets, and the sync stops until then.
"""
import logging
import time

from redis.exceptions import RedisError

log = logging.getLogger(__name__)
PAUSE_KEY = "bm:xero:app-minute-pause"
APP_RESERVE = 10  # app-wide calls left for other processes' calls already under way


class Pacer:
    """Keeps calls under one of Xero's per-minute limits, read from its ``header``.

    Xero counts calls in a fixed window that starts at a time we cannot see. The pacer notes
    when a window began (our first call, or the call after which the remaining count went up)
    and, when the allowance is nearly spent, holds calls (``hold(seconds)``; by default it
    sleeps) until a minute after that, so the next call falls in a fresh window instead of
    meeting a 429.
    """

    def __init__(self, sleep=time.sleep, clock=time.monotonic, reserve=1, margin=1.0,
                 header="X-MinLimit-Remaining", hold=None):
        self.sleep, self.clock, self.reserve, self.margin = sleep, clock, reserve, margin
        self.header, self.hold = header, hold or (lambda seconds: self.sleep(seconds))
        self.window_start = self.last_remaining = self.sent_at = None

    def before_call(self):
        self.sent_at = self.clock()
        if self.window_start is None or self.sent_at - self.window_start >= 60:
            self.window_start, self.last_remaining = self.sent_at, None

    def after_response(self, headers):
        remaining = headers.get(self.header)
        if remaining is None or not remaining.isdigit():
            return
        remaining = int(remaining)
        if self.last_remaining is not None and remaining > self.last_remaining:
            self.window_start = self.sent_at  # Xero's window rolled over before this call
        self.last_remaining = remaining
        if remaining <= self.reserve:
            wait = self.window_start + 60 + self.margin - self.clock()
            if wait > 0:
                log.info("pacing Xero calls (%s): holding them %.1f s for the next minute", self.header, wait)
                self.hold(wait)
            self.window_start = self.last_remaining = None


class SharedPause:
    """A pause in calls to Xero that every process honours: Redis keeps until when (as ``clock``
    time); without Redis, or when it fails, the pause holds in this process only."""

    def __init__(self, redis=None, sleep=time.sleep, clock=time.time):
        self.redis, self.sleep, self.clock = redis, sleep, clock
        self.local_until = 0.0

    def hold(self, seconds):
        """Hold every process's calls for ``seconds`` from now (a longer pause already noted stays)."""
        until = self.clock() + seconds
        self.local_until = max(self.local_until, until)
        if self.redis is None:
            return
        try:
            if until > self._shared_until():
                self.redis.set(PAUSE_KEY, repr(until), px=int(seconds * 1000) + 5000)
        except (RedisError, OSError) as exc:
            log.warning("could not share the pause in Xero calls: %s", exc)

    def wait(self):
        """Before a call: sleep out a pause that any process noted."""
        until = self.local_until
        if self.redis is not None:
            try:
                until = max(until, self._shared_until())
            except (RedisError, OSError) as exc:
                log.warning("could not read the pause in Xero calls: %s", exc)
        left = until - self.clock()
        if left > 0:
            log.info("Xero's app-wide minute allowance is spent: waiting %.1f s", left)
            self.sleep(left)

    def _shared_until(self):
        value = self.redis.get(PAUSE_KEY)
        return float(value) if value else 0.0
