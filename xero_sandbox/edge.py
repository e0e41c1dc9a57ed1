"""What happens around every API call, in Xero's order: count, refuse over-long URLs,
authenticate, answer "offline", check the user's role, rate-limit, replay idempotent writes,
fail on purpose; and the rate-limit headers on the way out."""
import socket
import struct
import time

from flask import Response, g, request

from . import oauth
from .context import current
from .errors import NOT_FOUND_TEXT, api_exception, forbidden, unauthorized
from .idempotency import MAX_KEY_LENGTH, fingerprint
from .stats import endpoint_key

API_PREFIX = "/api.xro/2.0"
FAULTABLE_PREFIXES = (API_PREFIX, "/connect/", "/connections", "/Connections")
DROP_CONNECTION = "xero_sandbox.drop_connection"
XERO_API_ORIGIN = "https://api.xero.com"
# Xero answers a plain 404 once the URL passes about this length (XeroAPI/Xero-Java#328: 52
# invoice ids worked, 53 did not), whatever the query asks for.
MAX_URL_LENGTH = 2091
OFFLINE_TEXT = "The Organisation is offline"
ROLE_REFUSAL = ("You are not permitted to access this resource without the Standard role or "
                "higher privileges")


def _caller():
    """Authenticate an Accounting API call: token, then tenant (403 if not connected)."""
    sandbox = current()
    token = oauth.access_token(sandbox, request.headers.get("Authorization"))
    tenant = (request.headers.get("xero-tenant-id") or "").strip().lower()
    if token["custom_tenant"]:
        if tenant and tenant != token["custom_tenant"]:
            raise forbidden()
        tenant = token["custom_tenant"]
    elif not tenant or not any(c["tenantId"] == tenant for c in oauth.user_connections(
            sandbox.store, token["user"], token["client_id"])):
        raise forbidden()
    app = sandbox.store.get("app", token["client_id"])
    return {"client_id": token["client_id"], "app_name": app["name"], "tenant": tenant,
            "scopes": token["scope"], "user": token["user"]}


def _url_too_long():
    """True when the URL, as it would read on api.xero.com, is longer than Xero takes."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    return len(XERO_API_ORIGIN) + len(raw) > MAX_URL_LENGTH


def _unavailable_or_refused():
    """The organisation is offline (503 text), or the user's role may not write (403)."""
    variants = current().variants
    if variants.offline():
        return Response(OFFLINE_TEXT, 503, mimetype="text/plain")
    if (variants["user_role"] != "adviser" and g.caller["user"]
            and request.method in ("PUT", "POST", "DELETE")):
        refusal = unauthorized if variants["user_role"] == "read_only_401" else forbidden
        return refusal(ROLE_REFUSAL).response
    return None


def _rate_limit():
    caller = g.caller
    decision = current().limits.acquire(caller["client_id"], caller["tenant"])
    g.rate_limit = decision
    if decision.problem:
        return Response(f"Rate limit exceeded: {decision.problem}", 429, mimetype="text/plain")
    g.admitted = (caller["client_id"], caller["tenant"])
    return None


def _fault():
    """Apply an injected fault that happens before the work; remember one that happens after."""
    fault = current().faults.pick(request.method, g.endpoint)
    if fault is None:
        return None
    if fault.kind == "timeout":
        with current().stats.holding():
            time.sleep(fault.timeout_seconds)
    elif fault.kind == "error_500":
        return api_exception(500, 500, "UnknownErrorException",
                             "An error occurred in Xero. Check the API Status page "
                             "http://status.developer.xero.com for current service status.").response
    elif fault.kind == "error_503":
        return Response("The Xero API is temporarily unavailable", 503, mimetype="text/plain")
    elif fault.kind == "reset":
        request.environ[DROP_CONNECTION] = True
        return Response(status=204)
    elif fault.kind == "commit_then_500":
        g.fail_after_commit = True
    return None


def _idempotent_replay():
    key = request.headers.get("Idempotency-Key")
    if key is None or request.method not in ("POST", "PUT"):
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        return api_exception(400, 10, "ValidationException", "A validation exception occurred", [
            {"ValidationErrors": [{"Message": f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} "
                                              "characters long."}]}]).response
    scope = (g.caller["client_id"], g.caller["tenant"], key)
    outcome, entry = current().idempotency.claim(
        scope, fingerprint(request.method, request.full_path, request.get_data(cache=True)))
    if outcome == "conflict":
        return api_exception(400, 10, "ValidationException", "A validation exception occurred", [
            {"ValidationErrors": [{"Message": f"Idempotency Key {key} is used with a different "
                                              "request."}]}]).response
    if outcome == "replay":
        return Response(entry.body, entry.status, content_type=entry.content_type)
    g.idempotency_scope = scope
    return None


def before_request():
    """Run the inbound steps; any of them may answer instead of the view."""
    if request.path.startswith("/_sandbox"):
        return None
    g.endpoint = endpoint_key(request.method, request.path)
    current().stats.count(g.endpoint, (request.headers.get("xero-tenant-id") or "").lower() or None)
    if request.path.startswith(API_PREFIX) and request.method in ("POST", "PUT"):
        current().stats.write(g.endpoint, request.headers.get("Idempotency-Key"))
    if not request.path.startswith(FAULTABLE_PREFIXES):
        return None
    if _url_too_long():
        return Response(NOT_FOUND_TEXT, 404, mimetype="text/plain")
    if not request.path.startswith(API_PREFIX):
        return _fault()
    g.caller = _caller()
    refused = _unavailable_or_refused() or _rate_limit()
    if refused:
        return refused
    # The key is claimed before a fault strikes, so each variant decides what a 5xx leaves behind;
    # a replayed answer can be lost on the way like any other.
    replay = _idempotent_replay()
    return _fault() or replay


def after_request(response):
    """Store idempotent answers, turn committed writes into 500s, add rate-limit headers."""
    if request.path.startswith("/_sandbox"):
        return response
    sandbox = current()
    committed = response
    if g.pop("fail_after_commit", False):
        response = api_exception(500, 500, "UnknownErrorException",
                                 "An error occurred in Xero.").response
    scope = g.pop("idempotency_scope", None)
    if scope is not None:
        _settle_key(sandbox, scope, committed, response)
    decision = g.get("rate_limit")
    if decision is not None:
        response.headers.update(decision.headers())
    sandbox.stats.finished(response.status_code)
    return response


def _settle_key(sandbox, scope, committed, sent):
    """Keep or forget an Idempotency-Key's answer, as the `idempotency_after_5xx` variant says."""
    variant = sandbox.variants["idempotency_after_5xx"]
    if request.environ.get(DROP_CONNECTION):
        kept = None  # no answer left Xero: nothing to replay
    elif sent.status_code < 500 or variant == "replay":
        kept = sent
    elif variant == "committed" and committed.status_code < 500:
        kept = committed
    else:
        kept = None
    if kept is None:
        sandbox.idempotency.abandon(scope)
    else:
        sandbox.idempotency.record(scope, kept.status_code, kept.get_data(), kept.content_type)


def teardown_request(_error=None):
    """Free the concurrency slot taken by this call; it is no longer in flight."""
    admitted = g.pop("admitted", None)
    if admitted:
        current().limits.release(*admitted)
    if g.pop("endpoint", None) is not None:
        current().stats.ended()


class ConnectionDropper:
    """WSGI wrapper that turns a "reset" fault into a TCP reset with no HTTP response."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        captured = []
        body = self.app(environ, lambda *args: captured.append(args))
        if not environ.get(DROP_CONNECTION):
            start_response(*captured[0])
            return body
        if hasattr(body, "close"):
            body.close()
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionResetError("connection reset by the sandbox (injected fault)")
