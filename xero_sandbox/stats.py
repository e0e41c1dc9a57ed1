"""Call counts for benchmarks and tests: per endpoint template, per organisation, 429s served,
the calls being answered right now (and of them, those a timeout fault holds), and each write
with the Idempotency-Key it carried."""
import re
import threading
from collections import Counter
from contextlib import contextmanager

ID_SEGMENT = re.compile(r"/(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                        r"[0-9a-fA-F]{12}|INV-\d+|CN-\d+)(?=/|$)")


def endpoint_key(method, path):
    """`"POST /api.xro/2.0/Contacts/{id}"`: the method and the path with ids collapsed."""
    return f"{method} {ID_SEGMENT.sub('/{id}', path)}"


class CallStats:
    """Thread-safe counters."""

    def __init__(self):
        self._lock = threading.Lock()
        self._in_flight = 0  # not reset: calls under way when the counts restart still end
        self._held = 0  # admitted by the rate limits and held by a timeout fault
        self.reset()

    def reset(self):
        """Start counting from zero."""
        with self._lock:
            self._calls, self._tenants, self._statuses = Counter(), Counter(), Counter()
            self._throttled, self._writes = 0, []

    def count(self, key, tenant=None):
        """Count one call, under way until ``ended``."""
        with self._lock:
            self._calls[key] += 1
            self._in_flight += 1
            if tenant:
                self._tenants[tenant] += 1

    def ended(self):
        """A counted call has been answered (or dropped)."""
        with self._lock:
            self._in_flight -= 1

    def write(self, key, idempotency_key):
        """Log a write as it arrives, with its Idempotency-Key (None when it had none)."""
        with self._lock:
            self._writes.append({"endpoint": key, "idempotency_key": idempotency_key})

    @contextmanager
    def holding(self):
        """A call admitted past the rate limits is held (a timeout fault) while the block runs."""
        with self._lock:
            self._held += 1
        try:
            yield
        finally:
            with self._lock:
                self._held -= 1

    def finished(self, status):
        """Count one response status (429s are also counted as throttled)."""
        with self._lock:
            self._statuses[str(status)] += 1
            if status == 429:
                self._throttled += 1

    def snapshot(self):
        """The counts as JSON-ready data."""
        with self._lock:
            return {"total_calls": sum(self._calls.values()), "calls": dict(self._calls),
                    "throttled": self._throttled, "per_tenant": dict(self._tenants),
                    "statuses": dict(self._statuses), "in_flight": self._in_flight, "held": self._held,
                    "writes": list(self._writes)}
