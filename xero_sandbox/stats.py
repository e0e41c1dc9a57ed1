"""Call counts for benchmarks and tests: per endpoint template, per organisation, 429s served."""
import re
import threading
from collections import Counter

ID_SEGMENT = re.compile(r"/(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                        r"[0-9a-fA-F]{12}|INV-\d+|CN-\d+)(?=/|$)")


def endpoint_key(method, path):
    """`"POST /api.xro/2.0/Contacts/{id}"`: the method and the path with ids collapsed."""
    return f"{method} {ID_SEGMENT.sub('/{id}', path)}"


class CallStats:
    """Thread-safe counters."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        """Start counting from zero."""
        with self._lock:
            self._calls, self._tenants, self._statuses = Counter(), Counter(), Counter()
            self._throttled = 0

    def count(self, key, tenant=None):
        """Count one call."""
        with self._lock:
            self._calls[key] += 1
            if tenant:
                self._tenants[tenant] += 1

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
                    "statuses": dict(self._statuses)}
