"""Xero's rate limits per organisation and per app, on fixed windows of the sandbox clock."""
import math
import threading
from dataclasses import dataclass

XERO_LIMITS = {"enabled": True, "concurrent": 5, "per_minute": 60, "per_day": 5000,
               "app_per_minute": 10000}


@dataclass
class Decision:
    """The outcome of one call: remaining allowances, and the problem if it was refused."""

    minute_remaining: int
    day_remaining: int
    app_minute_remaining: int
    problem: str = None
    retry_after: int = None

    def headers(self):
        """The headers Xero puts on every response."""
        headers = {"X-MinLimit-Remaining": str(max(self.minute_remaining, 0)),
                   "X-DayLimit-Remaining": str(max(self.day_remaining, 0)),
                   "X-AppMinLimit-Remaining": str(max(self.app_minute_remaining, 0))}
        if self.problem:
            headers["X-Rate-Limit-Problem"] = self.problem
            headers["Retry-After"] = str(self.retry_after)
        return headers


class _Window:
    """A fixed window: starts at the first call, resets `length` seconds later."""

    def __init__(self, length):
        self.length, self.start, self.count = length, None, 0

    def roll(self, now):
        if self.start is None or now >= self.start + self.length:
            self.start, self.count = now, 0

    def seconds_left(self, now):
        return max(1, math.ceil(self.start + self.length - now))


class RateLimiter:
    """Counts calls per (app, tenant) and per app, and refuses the ones Xero would refuse."""

    def __init__(self, clock):
        self._clock = clock
        self._lock = threading.Lock()
        self.config = dict(XERO_LIMITS)
        self._windows, self._in_flight = {}, {}

    def configure(self, **settings):
        """Change limits (partial updates); unknown keys are rejected."""
        unknown = set(settings) - set(XERO_LIMITS)
        if unknown:
            raise ValueError(f"unknown limit settings: {', '.join(sorted(unknown))}")
        with self._lock:
            self.config.update(settings)
        return dict(self.config)

    def reset(self):
        """Forget all counts and restore Xero's limits."""
        with self._lock:
            self.config, self._windows, self._in_flight = dict(XERO_LIMITS), {}, {}

    def _window(self, key, length, now):
        window = self._windows.setdefault(key, _Window(length))
        window.roll(now)
        return window

    def acquire(self, app, tenant):
        """Count a call; the Decision says whether it may proceed (call `release` after it)."""
        now = self._clock.now().timestamp()
        with self._lock:
            config = self.config
            minute = self._window(("minute", app, tenant), 60, now)
            day = self._window(("day", app, tenant), 86400, now)
            app_minute = self._window(("app", app), 60, now)
            in_flight = self._in_flight.get((app, tenant), 0)
            checks = [("concurrent", in_flight >= config["concurrent"], 1),
                      ("minute", minute.count >= config["per_minute"], minute.seconds_left(now)),
                      ("day", day.count >= config["per_day"], day.seconds_left(now)),
                      ("appminute", app_minute.count >= config["app_per_minute"],
                       app_minute.seconds_left(now))]
            refused = next((c for c in checks if c[1]), None) if config["enabled"] else None
            if refused is None:
                minute.count, day.count, app_minute.count = (minute.count + 1, day.count + 1,
                                                             app_minute.count + 1)
                self._in_flight[(app, tenant)] = in_flight + 1
            return Decision(config["per_minute"] - minute.count, config["per_day"] - day.count,
                            config["app_per_minute"] - app_minute.count,
                            refused and refused[0], refused and refused[2])

    def release(self, app, tenant):
        """A call admitted by `acquire` has finished."""
        with self._lock:
            self._in_flight[(app, tenant)] = max(0, self._in_flight.get((app, tenant), 1) - 1)
