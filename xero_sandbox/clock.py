"""The sandbox clock: real time plus an offset that tests move forward."""
from datetime import datetime, timedelta, timezone


class SandboxClock:
    """UTC time shifted by a persisted offset, so token expiry and rate windows can be tested."""

    def __init__(self, store):
        self._store = store

    @property
    def offset(self):
        return self._store.meta("clock_offset", 0.0)

    def now(self):
        """The current sandbox time (timezone-aware UTC)."""
        return datetime.now(timezone.utc) + timedelta(seconds=self.offset)

    def now_ms(self):
        """The current sandbox time in Unix milliseconds."""
        return int(self.now().timestamp() * 1000)

    def advance(self, seconds):
        """Move the clock forward by `seconds`."""
        self._store.set_meta("clock_offset", self.offset + float(seconds))
