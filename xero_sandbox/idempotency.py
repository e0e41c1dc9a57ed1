"""Idempotency-Key: a repeat of a write replays the first answer and writes nothing."""
import hashlib
import threading
from dataclasses import dataclass, field

MAX_KEY_LENGTH = 128
DEFAULT_WINDOW_SECONDS = 6 * 60


@dataclass
class _Entry:
    fingerprint: str
    stored_at: float
    done: threading.Event = field(default_factory=threading.Event)
    status: int = None
    body: bytes = None
    content_type: str = None


def fingerprint(method, url, body):
    """What makes two requests "the same request"."""
    return hashlib.sha256(b"\n".join([method.encode(), url.encode(), body])).hexdigest()


class IdempotencyStore:
    """Answers per (app, tenant, key), kept for a window of sandbox time."""

    def __init__(self, clock, window_seconds=DEFAULT_WINDOW_SECONDS):
        self._clock, self.window_seconds = clock, window_seconds
        self._lock = threading.Lock()
        self._entries = {}

    def reset(self):
        """Forget every key."""
        with self._lock:
            self._entries = {}

    def claim(self, scope, print_):
        """("new", None) to go ahead, ("replay", entry) to answer from it, ("conflict", None)."""
        now = self._clock.now().timestamp()
        with self._lock:
            entry = self._entries.get(scope)
            if entry is None or now - entry.stored_at > self.window_seconds:
                self._entries[scope] = _Entry(print_, now)
                return "new", None
        if entry.fingerprint != print_:
            return "conflict", None
        entry.done.wait(timeout=60)
        return ("replay", entry) if entry.status is not None else ("new", None)

    def record(self, scope, status, body, content_type):
        """Store the first answer for a claimed key."""
        with self._lock:
            entry = self._entries.get(scope)
        if entry is not None:
            entry.status, entry.body, entry.content_type = status, body, content_type
            entry.done.set()

    def abandon(self, scope):
        """Drop a claim whose request produced no answer worth replaying."""
        with self._lock:
            entry = self._entries.pop(scope, None)
        if entry is not None:
            entry.done.set()
