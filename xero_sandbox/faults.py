"""Injected failures: 500, 503, slow answers, dropped connections and "commit, then 500"."""
import random
import threading
from dataclasses import dataclass

KINDS = ("error_500", "error_503", "timeout", "reset", "commit_then_500")


@dataclass(frozen=True)
class Fault:
    """One failure chosen for one request."""

    kind: str
    timeout_seconds: float = 0


class FaultInjector:
    """Rules per endpoint ("METHOD /path", "METHOD *" or "*"), rolled with a seeded RNG."""

    def __init__(self):
        self._lock = threading.Lock()
        self.configure()

    def configure(self, rules=(), seed=None):
        """Replace the rules; the same seed and calls give the same faults."""
        for rule in rules:
            unknown = set(rule) - {"endpoint", "timeout_seconds", *KINDS}
            if unknown or "endpoint" not in rule:
                raise ValueError(f"bad fault rule {rule!r}")
            if sum(float(rule.get(kind, 0)) for kind in KINDS) > 1:
                raise ValueError(f"fault probabilities add up to more than 1 in {rule!r}")
        with self._lock:
            self.rules, self.seed = [dict(rule) for rule in rules], seed
            self._random = random.Random(seed)
            self.injected = {kind: 0 for kind in KINDS}

    @staticmethod
    def _matches(pattern, method, endpoint):
        if pattern == "*":
            return True
        want_method, _, want_path = pattern.partition(" ")
        return want_method.upper() == method and want_path in ("*", endpoint.partition(" ")[2])

    def pick(self, method, endpoint):
        """The fault for this call, or None (the first matching rule decides)."""
        with self._lock:
            rule = next((r for r in self.rules if self._matches(r["endpoint"], method, endpoint)), None)
            if rule is None:
                return None
            roll, edge = self._random.random(), 0.0
            for kind in KINDS:
                edge += float(rule.get(kind, 0))
                if roll < edge:
                    self.injected[kind] += 1
                    return Fault(kind, float(rule.get("timeout_seconds", 30)))
            return None
