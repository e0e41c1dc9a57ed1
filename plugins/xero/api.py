"""XeroClient: the only code that speaks HTTP to Xero.

Paging, batching, rate-limit pacing, retries, Idempotency-Key, token refresh on expiry and the
mapping of Xero's answers to exceptions all live here, once. Everything else passes plain
dicts in the shapes of Xero's OpenAPI spec.
"""
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from . import access
from .pacing import APP_RESERVE, Pacer, SharedPause

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
BATCH_SIZE = 50
RETRY_STATUSES = {500, 502, 503, 504}
# Xero answers a plain 404 once a URL passes about 2,091 characters (XERO-NOTES §2, "IDs
# length"); lists of ids are cut to stay below this, with room left for the paging parameters.
MAX_URL_LENGTH = 2040
XERO_API = "https://api.xero.com/api.xro/2.0"
OFFLINE_TEXT = "offline"  # "The Organisation is offline", "... currently offline for maintenance" (XERO-NOTES §8)
OFFLINE_PAUSE = 300  # seconds to stop for when Xero is unavailable and does not say for how long
# What a Xero that keeps PKCE to apps without a secret may answer a code exchange carrying both.
PKCE_REFUSALS = ("invalid_grant", "invalid_request", "unsupported_grant_type")
MAX_RATE_LIMIT_WAIT = 600  # seconds one call may spend waiting out 429s before the run stops instead


class XeroError(Exception):
    """Xero could not do what was asked; ``str()`` is a sentence a user can read."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class XeroValidationError(XeroError):
    """Xero refused the data (400); ``messages`` are Xero's own validation messages."""

    def __init__(self, messages, elements=(), status=400):
        super().__init__(" ".join(messages) or "Xero refused the data.", status)
        self.messages = list(messages)
        self.elements = list(elements)


class XeroAuthError(XeroError):
    """The token or the organisation's connection is no longer accepted (401/403)."""


class TokenRefused(XeroAuthError):
    """Xero's token endpoint refused the request; ``error`` is its OAuth error code."""

    def __init__(self, message, error):
        super().__init__(message, 400)
        self.error = error


class InvalidGrant(TokenRefused):
    """Xero refused the grant (a refresh token, an authorization code): reconnect, or start again."""


class TenantNotConnected(XeroAuthError):
    """Xero confirms (its list of connections) that the organisation is no longer connected to the app."""


class AccessRefused(XeroError):
    """Xero refused a call for a reason the connection itself survives (a scope it was not given, the
    connecting user's role, an unexplained 403): the run stops and ``str()`` says what to do."""


class XeroNotFound(XeroError):
    """No such record in Xero (404)."""


class RateLimited(XeroError):
    """Xero's rate limit stops further calls for ``retry_after`` seconds."""

    def __init__(self, problem, retry_after):
        super().__init__(f"Xero's {problem} rate limit was reached; retry in {retry_after} s.", 429)
        self.problem = problem
        self.retry_after = retry_after


class DailyLimitReached(RateLimited):
    """The organisation's daily call limit is used up until ``resumes_at``."""

    def __init__(self, retry_after):
        super().__init__("day", retry_after)
        self.resumes_at = datetime.now(timezone.utc).timestamp() + retry_after


class XeroUnavailable(XeroError):
    """Xero did not answer usefully after retrying (5xx, time-outs, dropped connections)."""


class XeroOffline(XeroUnavailable):
    """Xero or the organisation is unavailable for a while (503); try again in ``retry_after`` seconds.

    An organisation is offline for a minute to an hour while Xero moves it (XERO-NOTES §8).
    """

    def __init__(self, retry_after):
        super().__init__("Xero is unavailable.", 503)
        self.retry_after = retry_after


class WriteFailed(XeroUnavailable):
    """Xero answered a write with a server error: what it wrote is unknown, and a repeat of the
    same Idempotency-Key may replay that error or write again (XERO-NOTES §6), so it is not retried."""


@dataclass(frozen=True)
class XeroUrls:
    """Where Xero's hosts are; with one base URL (the sandbox) every path hangs off it."""

    authorize: str
    token: str
    revocation: str
    connections: str
    api: str
    go: str

    @classmethod
    def for_base(cls, base_url=None):
        if not base_url:
            return cls(
                authorize="https://login.xero.com/identity/connect/authorize",
                token="https://identity.xero.com/connect/token",
                revocation="https://identity.xero.com/connect/revocation",
                connections="https://api.xero.com/connections",
                api="https://api.xero.com/api.xro/2.0",
                go="https://go.xero.com",
            )
        base = base_url.rstrip("/")
        return cls(
            authorize=f"{base}/identity/connect/authorize", token=f"{base}/connect/token",
            revocation=f"{base}/connect/revocation", connections=f"{base}/connections",
            api=f"{base}/api.xro/2.0", go=base,
        )

    def deep_link(self, short_code, path):
        """The "open in Xero" address of ``path`` (e.g. /Contacts/View/ID) in an organisation."""
        return str(requests.Request(
            "GET", f"{self.go}/organisationlogin/default.aspx",
            params={"shortcode": short_code, "redirecturl": path},
        ).prepare().url)


def new_pkce_pair():
    """Return ``(code_verifier, code_challenge)`` for PKCE S256."""
    verifier = generate_token(64)
    return verifier, create_s256_code_challenge(verifier)


def url_sized(values, path, params_for, limit=MAX_URL_LENGTH):
    """Split ``values`` into runs whose request (``params_for(run)`` on ``path``) stays within
    Xero's URL length, measured as the URL would read on api.xero.com."""
    run = []
    for value in values:
        if run and len(_url(path, params_for([*run, value]))) > limit:
            yield run
            run = []
        run.append(value)
    if run:
        yield run


def any_of(field, values):
    """A ``where`` clause true for records whose ``field`` is any of ``values`` (strings)."""
    quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return " OR ".join(f'{field}=="{value}"' for value in quoted)


def _url(path, params):
    return requests.Request("GET", f"{XERO_API}/{path}", params=params).prepare().url


def xero_date(value):
    """Parse Xero's ``/Date(ms+0000)/`` or an ISO string into an aware UTC datetime (or None)."""
    if not value:
        return None
    text = str(value)
    if text.startswith("/Date("):
        digits = text[6:].split(")")[0]
        millis = digits[:-5] if len(digits) > 5 and digits[-5] in "+-" else digits
        return datetime.fromtimestamp(int(millis) / 1000, tz=timezone.utc)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Page(list):
    """One page of records from Xero; ``server_time`` is Xero's clock when it answered, ``page_size``
    and ``item_count`` what its ``pagination`` says (each None when Xero did not say)."""

    server_time = page_size = item_count = None


def _server_time(body):
    try:
        return xero_date(body.get("DateTimeUTC"))
    except (ValueError, TypeError, OverflowError):
        return None


def _whole(value):
    """``value`` if it is a whole number (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class XeroClient:
    """Calls Xero for one app and (for the Accounting API) one organisation.

    :param tokens: an object with ``access_token()`` and ``refresh()`` (see oauth.TokenKeeper);
        None for identity calls made before a token exists.
    :param before_call: called before every request; the plugin ends the database transaction
        there (refusing one that holds unsaved changes), so no lock or snapshot is held while
        waiting on the network.
    :param on_response: called with the status and headers of every answer (the usage record).
    :param redis: where the pause in calls for Xero's app-wide minute limit is shared between
        processes (see pacing.SharedPause); None keeps it to this client.
    """

    def __init__(self, client_id, client_secret, base_url=None, tokens=None, tenant_id=None,
                 timeout=30, retries=4, backoff=1.0, sleep=time.sleep, before_call=None, on_response=None,
                 redis=None):
        self.urls = XeroUrls.for_base(base_url)
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens, self.tenant_id = tokens, tenant_id
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep
        self.pacer = Pacer(sleep=sleep)
        self.app_pause = SharedPause(redis, sleep=lambda seconds: self.sleep(seconds))
        self.app_pacer = Pacer(clock=lambda: self.app_pause.clock(), reserve=APP_RESERVE,
                               header="X-AppMinLimit-Remaining", hold=self.app_pause.hold)
        self.before_call = before_call or (lambda: None)
        self.on_response = on_response or (lambda status, headers: None)
        self.calls = 0
        self.day_remaining = None  # the organisation's calls left today, as Xero's last answer said
        self.http = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_basic")

    # -- identity ----------------------------------------------------------------------------

    def authorization_url(self, redirect_uri, scope, state, code_challenge):
        """The Xero login-and-consent address to send the user to."""
        url, _state = self.http.create_authorization_url(
            self.urls.authorize, redirect_uri=redirect_uri, scope=scope, state=state,
            code_challenge=code_challenge, code_challenge_method="S256",
        )
        return url

    def exchange_code(self, code, redirect_uri, code_verifier):
        """Swap an authorization code for a token set (dict with access and refresh tokens).

        PKCE goes with the client secret; a Xero that refuses the two together for an app with a
        secret is asked once more without the code_verifier, and the log says so.
        """
        try:
            return self._token_call(grant_type="authorization_code", code=code,
                                    redirect_uri=redirect_uri, code_verifier=code_verifier)
        except TokenRefused as exc:
            if exc.error not in PKCE_REFUSALS:
                raise
            log.warning("Xero refused the code exchange with PKCE and the client secret (%s); "
                        "trying once more with the client secret alone", exc.error)
        tokens = self._token_call(grant_type="authorization_code", code=code, redirect_uri=redirect_uri)
        log.warning("Xero took the code exchange without PKCE (the client secret alone)")
        return tokens

    def refresh_token(self, refresh_token):
        """Swap a refresh token for a new token set; raises InvalidGrant when Xero refuses it."""
        return self._token_call(grant_type="refresh_token", refresh_token=refresh_token)

    def _token_call(self, **form):
        self.before_call()
        self.calls += 1
        try:
            return dict(self.http.fetch_token(self.urls.token, timeout=self.timeout, **form))
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise InvalidGrant("Xero no longer accepts this integration's authorisation.", exc.error) from exc
            raise TokenRefused(f"Xero refused the sign-in: {exc.error}.", exc.error) from exc
        except requests.RequestException as exc:
            raise XeroUnavailable(f"Xero's sign-in service could not be reached ({exc.__class__.__name__}).") from exc

    def revoke(self, refresh_token):
        """Revoke a refresh token (and with it the app's access); raise XeroError unless Xero answers 200."""
        self.before_call()
        self.calls += 1
        try:
            response = self.http.revoke_token(self.urls.revocation, refresh_token, token_type_hint="refresh_token",
                                              timeout=self.timeout)
        except requests.RequestException as exc:
            raise XeroUnavailable(f"Xero could not be reached ({exc.__class__.__name__})") from exc
        if response.status_code != 200:
            raise XeroError(f"Xero answered {response.status_code}", response.status_code)

    def connections(self):
        """The organisations this token may reach (``[{id, tenantId, tenantName, ...}]``)."""
        return _json(self._send("GET", self.urls.connections, tenant=False))

    def delete_connection(self, connection_id):
        """Disconnect the app from one organisation."""
        try:
            self._send("DELETE", f"{self.urls.connections}/{connection_id}", tenant=False)
        except XeroNotFound:
            pass

    # -- accounting --------------------------------------------------------------------------

    def organisation(self):
        """The organisation's details (Name, ShortCode, BaseCurrency, ...)."""
        return self.get("Organisation")["Organisations"][0]

    def get(self, path, params=None, modified_since=None):
        """GET an Accounting API path and return the decoded JSON."""
        headers = {}
        if modified_since:
            headers["If-Modified-Since"] = modified_since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return _json(self._send("GET", f"{self.urls.api}/{path}", params=params, headers=headers))

    def pages(self, path, key, params=None, modified_since=None, page_size=PAGE_SIZE):
        """Yield each page of a paged list as a ``Page``, ``page_size`` records at a time if Xero allows.

        Pages until Xero's ``pagination.pageCount`` (so a list of exactly 1000 costs one call, and
        a Xero that cuts pages shorter than asked is read to the end); without pagination in the
        answer, a page shorter than the page size Xero used (its ``pageSize``, else ours) is the last.
        """
        page = 1
        while True:
            body = self.get(path, {**(params or {}), "page": page, "pageSize": page_size}, modified_since)
            records = Page(body.get(key) or [])
            records.server_time = _server_time(body)
            pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
            page_count, size = pagination.get("pageCount"), pagination.get("pageSize")
            records.page_size, records.item_count = _whole(size), _whole(pagination.get("itemCount"))
            yield records
            if isinstance(page_count, int) and not isinstance(page_count, bool):
                last = page >= page_count
            else:
                last = len(records) < (size if isinstance(size, int) and size > 0 else page_size)
            if last or not records:
                return
            page += 1

    def write(self, method, path, key, records, idempotency_key):
        """Send up to a batch of records with summarizeErrors=false; return Xero's elements.

        Each returned element carries ``StatusAttributeString`` "OK" or "ERROR" with
        ``ValidationErrors``; the order matches ``records``.
        """
        response = self._send(
            method, f"{self.urls.api}/{path}", params={"summarizeErrors": "false"},
            json={key: records}, idempotency_key=idempotency_key,
        )
        body = _json(response)
        return (body.get(key) if isinstance(body, dict) else None) or []

    # -- transport ---------------------------------------------------------------------------

    def _send(self, method, url, params=None, json=None, headers=None, idempotency_key=None, tenant=True):
        headers = {"Accept": "application/json", **(headers or {})}
        if tenant and self.tenant_id:
            headers["xero-tenant-id"] = self.tenant_id
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        retryable = method == "GET" or method == "DELETE" or idempotency_key is not None
        refreshed = False
        attempt = waited = 0  # attempt counts failures only: a 429 is an instruction to wait, not one
        while True:
            self.before_call()
            headers["Authorization"] = f"Bearer {self.tokens.access_token()}"
            self.app_pause.wait()
            self.pacer.before_call()
            self.app_pacer.before_call()
            self.calls += 1
            try:
                response = self.http.request(method, url, params=params, json=json, headers=headers,
                                             timeout=self.timeout, withhold_token=True)
            except requests.RequestException as exc:
                if not retryable or attempt == self.retries:
                    raise XeroUnavailable(f"Xero could not be reached ({exc.__class__.__name__}).") from exc
                self._wait(attempt)
                attempt += 1
                continue
            self.on_response(response.status_code, response.headers)
            day_left = response.headers.get("X-DayLimit-Remaining", "")
            if day_left.isascii() and day_left.isdigit():
                self.day_remaining = int(day_left)
            if response.status_code != 429:  # a refusal says when to return in Retry-After
                self.pacer.after_response(response.headers)
                self.app_pacer.after_response(response.headers)
            if response.status_code < 400:
                return response
            if response.status_code in (401, 403):
                kind = access.kind_of(response.status_code, response.text, method, url, self.tokens.scopes())
                if kind in (access.EXPIRED, access.UNAUTHORISED) and not refreshed:
                    self.tokens.refresh()  # a revoked authorisation raises InvalidGrant here
                    refreshed = True
                    continue
                raise self._refusal(kind, response, method, url)
            if response.status_code == 429:
                waited += self._rate_limited(response, waited)
                continue
            if response.status_code == 503 and OFFLINE_TEXT in response.text.lower():
                raise XeroOffline(_seconds(response.headers.get("Retry-After"), OFFLINE_PAUSE))
            if response.status_code in RETRY_STATUSES and idempotency_key is not None:
                raise WriteFailed(f"Xero answered with an error ({response.status_code}) while saving.",
                                  response.status_code)
            if response.status_code in RETRY_STATUSES and retryable and attempt < self.retries:
                self._wait(attempt)
                attempt += 1
                continue
            if response.status_code == 503:  # still unavailable after the retries: stop for a while
                raise XeroOffline(_seconds(response.headers.get("Retry-After"), OFFLINE_PAUSE))
            raise error_from(response)

    def _refusal(self, kind, response, method, url):
        """The exception for a 401/403 of this ``kind`` (see access.kind_of) that a refresh did not cure."""
        status, detail = response.status_code, _detail(response)
        if kind == access.SCOPE:
            return AccessRefused(access.missing_scope_message(method, url), status)
        if kind == access.ROLE:
            return AccessRefused(access.role_message(method, url, detail), status)
        if kind in (access.TENANT, access.FORBIDDEN):
            if kind == access.TENANT and self.tenant_id and not any(
                    c.get("tenantId") == self.tenant_id for c in self.connections()):
                return TenantNotConnected(access.TENANT_MESSAGE, status)
            return AccessRefused(access.forbidden_message(detail), status)
        return XeroAuthError("Xero no longer accepts this connection's authorisation"
                             + (f" ({detail})." if detail else "."), status)

    def _rate_limited(self, response, waited):
        """Wait out a 429 as Retry-After says, with jitter; return the seconds waited."""
        problem = (response.headers.get("X-Rate-Limit-Problem") or "minute").lower()
        retry_after = _seconds(response.headers.get("Retry-After"), 60)
        if problem.startswith("day") or problem == "daily":
            raise DailyLimitReached(retry_after)
        if retry_after > 120 or waited + retry_after > MAX_RATE_LIMIT_WAIT:
            raise RateLimited(problem, retry_after)
        # Jitter, so processes refused in the same second do not all come back in the same second.
        wait = retry_after * (1 + random.random() / 10)
        log.info("Xero rate limit (%s): waiting %.1f s", problem, wait)
        if problem.startswith("app"):  # the app-wide minute: every process waits (before its next call)
            self.app_pause.hold(wait)
            self.app_pacer.window_start = self.app_pacer.last_remaining = None
        else:
            self.sleep(wait)
            self.pacer.window_start = self.pacer.last_remaining = None
        return wait

    def _wait(self, attempt):
        """Back off exponentially, with full jitter so that retrying processes spread out."""
        self.sleep(self.backoff * (2 ** attempt) * (0.5 + random.random()))


def _seconds(header, default):
    """A Retry-After header's whole seconds, or ``default`` when it is missing or not a number."""
    value = (header or "").strip()
    return int(value) if value.isascii() and value.isdigit() else default


def _detail(response):
    """The ``Detail`` of Xero's problem-details answer (401/403), else the start of a plain-text one."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    return str(body.get("Detail") or "") if isinstance(body, dict) else ""


def _json(response):
    try:
        body = response.json()
    except ValueError:
        raise XeroError(f"Xero sent a response that is not valid JSON ({len(response.content)} bytes).",
                        response.status_code) from None
    if not isinstance(body, (dict, list)):
        raise XeroError("Xero sent a response of an unexpected shape.", response.status_code)
    return body


def new_idempotency_key():
    """A fresh Idempotency-Key (Xero accepts up to 128 characters)."""
    return f"bm-{uuid.uuid4()}"


def error_from(response):
    """Turn one of Xero's error answers into the matching exception."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    if status == 400 and isinstance(body, dict) and body.get("Type") == "ValidationException":
        elements = body.get("Elements") or []
        messages = [error.get("Message", "") for element in elements
                    for error in element.get("ValidationErrors") or []]
        return XeroValidationError(messages or [body.get("Message", "")], elements)
    if status == 400:
        message = body.get("Message") if isinstance(body, dict) else None
        return XeroValidationError([message or response.text[:300] or "Xero refused the request."])
    if status == 404:
        return XeroNotFound("Xero has no such record.", 404)
    return XeroUnavailable(f"Xero answered with an error ({status}).", status)
