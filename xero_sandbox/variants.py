"""Switches for Xero behaviours its documentation does not settle: each plays one plausible answer.

Every switch is off (its first value) by default. Tests set them with
``SandboxServer.set_variants(...)``, scripts with ``POST /_sandbox/variants`` and the command line
with ``--variant NAME=VALUE``; ``/_sandbox/reset`` turns them all off again.
"""
import threading

CHOICES = {
    # If-Modified-Since: a record updated in the very second named is returned, or only later ones.
    "modified_since": ("at_or_after", "after"),
    # Idempotency-Key after a 5xx: the committed answer is kept (a failure before any work is
    # forgotten), every 5xx forgets the key (a retry writes again), or the 5xx itself is replayed.
    "idempotency_after_5xx": ("committed", "forget", "replay"),
    # A call outside the token's scopes: 401 AuthorizationUnsuccessful (as a revoked token), or
    # 403 AuthenticationUnsuccessful (as an organisation that is not connected).
    "missing_scope": ("401", "403"),
    # The connecting user's role: an adviser may do everything; a read-only user's writes get 403,
    # or 401 as Xero once answered for a missing role (calcinai/xero-php#632).
    "user_role": ("adviser", "read_only", "read_only_401"),
    # Page size: as asked, up to 1000 (Xero since July 2024), or capped at 100 as some emulators do.
    "page_size_cap": ("1000", "100"),
    # Unit amounts beyond unitdp: rounded before the line amount is worked out, or only for show.
    "unit_rounding": ("unit", "line"),
    # Revoking a refresh token a refresh has already rotated out: it revokes the whole token set,
    # or it is taken as an unknown token (200, nothing revoked), as RFC 7009 allows.
    "revoke_rotated": ("revokes", "ignored"),
    # A code exchange carrying both the client secret and a PKCE code_verifier: accepted, or
    # refused with that OAuth error before the code is used (PKCE kept to apps without a secret),
    # the same code then taken with the secret alone.
    "pkce_with_secret": ("accepted", "invalid_grant", "invalid_request"),
}
DEFAULTS = {name: values[0] for name, values in CHOICES.items()}


class Variants:
    """The switches in force, plus the moment an "organisation is offline" spell ends."""

    def __init__(self, clock):
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        """Every switch off, the organisations online."""
        with self._lock:
            self._values, self._offline_until_ms = dict(DEFAULTS), 0

    def configure(self, **settings):
        """Change some switches; ``offline_seconds`` takes every organisation offline from now.

        Unknown names or values raise ValueError, naming the choices.
        """
        offline = settings.pop("offline_seconds", None)
        for name, value in settings.items():
            if name not in CHOICES:
                raise ValueError(f"unknown variant {name!r}; known: {', '.join(sorted(CHOICES))}, "
                                 "offline_seconds")
            if str(value) not in CHOICES[name]:
                raise ValueError(f"{name} is one of {', '.join(CHOICES[name])}, not {value!r}")
        if offline is not None:
            if isinstance(offline, bool) or not isinstance(offline, (int, float)) or offline < 0:
                raise ValueError("offline_seconds is a number of seconds, 0 or more")
        with self._lock:
            self._values.update({name: str(value) for name, value in settings.items()})
            if offline is not None:
                self._offline_until_ms = self._clock.now_ms() + int(offline * 1000)
        return self.snapshot()

    def __getitem__(self, name):
        return self._values[name]

    def offline(self):
        """True while an "organisation is offline" spell lasts (sandbox time)."""
        return self._clock.now_ms() < self._offline_until_ms

    def snapshot(self):
        """The switches as JSON-ready data, with the seconds of offline spell left."""
        left = max(0, self._offline_until_ms - self._clock.now_ms()) / 1000
        return {**self._values, "offline_seconds_left": left}
