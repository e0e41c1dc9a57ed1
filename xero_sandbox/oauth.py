"""Xero identity rules: clients, authorization codes, token rotation with grace, revocation."""
import base64
import hashlib
import hmac
import json
import secrets
import uuid

from .errors import oauth_error, unauthorized
from .formats import date_from_ms, identity_string

ACCESS_TOKEN_SECONDS = 30 * 60
REFRESH_TOKEN_SECONDS = 60 * 24 * 3600
REFRESH_GRACE_SECONDS = 30 * 60
CODE_SECONDS = 5 * 60
IDENTITY_SCOPES = {"openid", "profile", "email", "offline_access"}
ACCOUNTING_SCOPES = {
    f"accounting.{name}{suffix}"
    for name in ("contacts", "settings", "transactions", "invoices", "payments",
                 "banktransactions", "manualjournals", "classicexpenses", "attachments")
    for suffix in ("", ".read")
} | {"accounting.reports.read", "accounting.journals.read", "accounting.budgets.read",
     "paymentservices", "marketplace.billing"}
KNOWN_SCOPES = IDENTITY_SCOPES | ACCOUNTING_SCOPES
CUSTOM_CONNECTION_SCOPES = ("accounting.contacts accounting.settings accounting.transactions "
                            "accounting.invoices accounting.payments")


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(claims, key):
    """A compact HS256 JWT: Xero's tokens are JWTs, and some clients read their claims."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _signing_key(store):
    key = store.meta("signing_key")
    if not key:
        key = secrets.token_hex(32)
        store.set_meta("signing_key", key)
    return key


def authenticate_client(store, client_id, client_secret, secret_optional=False):
    """The registered app for these credentials, or raise 401 invalid_client."""
    app = store.get("app", client_id or "")
    if app is None:
        raise oauth_error("invalid_client", 401)
    if client_secret is None and secret_optional:
        return app
    if not hmac.compare_digest(app["client_secret"], client_secret or ""):
        raise oauth_error("invalid_client", 401)
    return app


def unknown_scopes(scope):
    """The requested scopes Xero would not recognise."""
    return [name for name in scope.split() if name not in KNOWN_SCOPES]


def issue_code(sandbox, *, client_id, redirect_uri, scope, user, tenant_id, auth_event_id,
               code_challenge=None, nonce=None):
    """A one-time authorization code for the consent just given."""
    code = secrets.token_urlsafe(32)
    sandbox.store.put("code", code, {
        "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope, "user": user,
        "tenant_id": tenant_id, "auth_event_id": auth_event_id, "nonce": nonce,
        "code_challenge": code_challenge, "expires_ms": sandbox.clock.now_ms() + CODE_SECONDS * 1000,
    })
    return code


def _pkce_ok(challenge, verifier):
    digest = hashlib.sha256((verifier or "").encode()).digest()
    return hmac.compare_digest(_b64(digest), challenge)


def exchange_code(sandbox, form, app, with_secret=False):
    """Tokens for an authorization code (single use, bound to client, redirect URI and PKCE).

    Under the ``pkce_with_secret`` refusals an app that sends its secret may not send a
    code_verifier too (refused before the code is used), and its code is taken without one.
    """
    store = sandbox.store
    refusal = sandbox.variants["pkce_with_secret"] if with_secret else "accepted"
    if refusal != "accepted" and form.get("code_verifier"):
        raise oauth_error(refusal)
    with store.transaction():
        code = store.get("code", form.get("code", ""))
        if code is None or code["client_id"] != app["client_id"]:
            raise oauth_error("invalid_grant")
        store.delete("code", form["code"])
    if code["expires_ms"] < sandbox.clock.now_ms() or code["redirect_uri"] != form.get("redirect_uri"):
        raise oauth_error("invalid_grant")
    if code["code_challenge"] and refusal == "accepted" and not _pkce_ok(code["code_challenge"],
                                                                         form.get("code_verifier")):
        raise oauth_error("invalid_grant")
    grant = secrets.token_hex(16)
    return _token_response(sandbox, app, code["user"], code["scope"], grant,
                           code["auth_event_id"], nonce=code["nonce"])


def refresh(sandbox, form, app):
    """Rotate a refresh token: it works once, then for 30 minutes of grace, then invalid_grant."""
    store, now = sandbox.store, sandbox.clock.now_ms()
    with store.transaction():
        token = store.get("refresh", form.get("refresh_token", ""))
        if token is None or token["client_id"] != app["client_id"]:
            raise oauth_error("invalid_grant")
        expired = token["issued_ms"] + REFRESH_TOKEN_SECONDS * 1000 < now
        past_grace = token["used_ms"] and token["used_ms"] + REFRESH_GRACE_SECONDS * 1000 < now
        if expired or past_grace or not user_connections(store, token["user"], app["client_id"]):
            raise oauth_error("invalid_grant")
        if not token["used_ms"]:
            token["used_ms"] = now
            store.put("refresh", form["refresh_token"], token)
        return _token_response(sandbox, app, token["user"], token["scope"], token["grant"],
                               token["auth_event_id"])


def client_credentials(sandbox, form, app):
    """An access token for the app's custom connection (one organisation, no refresh token)."""
    tenant = app.get("custom_tenant")
    if not tenant:
        raise oauth_error("unauthorized_client")
    scope = form.get("scope") or CUSTOM_CONNECTION_SCOPES
    if unknown_scopes(scope):
        raise oauth_error("invalid_scope")
    return _token_response(sandbox, app, None, scope, secrets.token_hex(16), str(uuid.uuid4()),
                           custom_tenant=tenant)


def _token_response(sandbox, app, user, scope, grant, auth_event_id, custom_tenant=None,
                    nonce=None):
    store, now = sandbox.store, sandbox.clock.now_ms()
    key = _signing_key(store)
    account = store.get("user", user) if user else None
    claims = {
        "nbf": now // 1000, "exp": now // 1000 + ACCESS_TOKEN_SECONDS,
        "iss": "https://identity.xero.com", "aud": "https://identity.xero.com/resources",
        "client_id": app["client_id"], "jti": secrets.token_hex(16),
        "authentication_event_id": auth_event_id, "scope": scope.split(),
    }
    if account:
        claims.update(sub=account["xero_userid"], xero_userid=account["xero_userid"],
                      global_session_id=grant)
    access_token = _jwt(claims, key)
    store.put("access", access_token, {
        "client_id": app["client_id"], "user": user, "scope": scope.split(), "grant": grant,
        "expires_ms": now + ACCESS_TOKEN_SECONDS * 1000, "custom_tenant": custom_tenant,
        "auth_event_id": auth_event_id,
    })
    body = {"access_token": access_token, "expires_in": ACCESS_TOKEN_SECONDS,
            "token_type": "Bearer", "scope": scope}
    if user and "offline_access" in scope.split():
        refresh_token = secrets.token_hex(32)
        store.put("refresh", refresh_token, {
            "client_id": app["client_id"], "user": user, "scope": scope, "grant": grant,
            "issued_ms": now, "used_ms": None, "auth_event_id": auth_event_id,
        })
        body["refresh_token"] = refresh_token
    if account and "openid" in scope.split():
        body["id_token"] = _jwt({
            "nbf": now // 1000, "exp": now // 1000 + 300, "iss": "https://identity.xero.com",
            "aud": app["client_id"], "iat": now // 1000, "sub": account["xero_userid"],
            "xero_userid": account["xero_userid"], "email": account["email"],
            "given_name": account["first_name"], "family_name": account["last_name"],
            "preferred_username": account["email"], "global_session_id": grant,
            **({"nonce": nonce} if nonce else {}),
        }, key)
    return body


def revoke(sandbox, token, app):
    """Revoke a refresh token: its whole token set and the user's connections to the app go."""
    store = sandbox.store
    record = store.get("refresh", token)
    if record is None or record["client_id"] != app["client_id"]:
        return
    if record["used_ms"] and sandbox.variants["revoke_rotated"] == "ignored":
        return
    with store.transaction():
        for kind in ("refresh", "access"):
            store.delete_where(kind, "json_extract(data, '$.grant') = ?", (record["grant"],))
        for connection in user_connections(store, record["user"], app["client_id"]):
            store.delete("connection", connection["id"])


def access_token(sandbox, authorization):
    """The stored access token named by an `Authorization: Bearer` header, or raise 401."""
    scheme, _, token = (authorization or "").partition(" ")
    record = sandbox.store.get("access", token.strip()) if scheme.lower() == "bearer" else None
    if record is None:
        raise unauthorized()
    if record["expires_ms"] <= sandbox.clock.now_ms():
        expired_at = date_from_ms(record["expires_ms"]).strftime("%m/%d/%Y %H:%M:%S")
        raise unauthorized(f"TokenExpired: token expired at {expired_at}")
    return record


def user_connections(store, user, client_id):
    """The organisations this user has connected to this app."""
    return store.select("connection", where="json_extract(data, '$._user') = ? AND "
                        "json_extract(data, '$._client_id') = ?", params=(user, client_id))


def connect(sandbox, user, client_id, tenant_id, auth_event_id):
    """Create or refresh the connection between an app and an organisation for a user."""
    store, now = sandbox.store, sandbox.clock.now_ms()
    organisation = store.get("organisation", tenant_id)
    existing = [c for c in user_connections(store, user, client_id) if c["tenantId"] == tenant_id]
    connection = existing[0] if existing else {
        "id": str(uuid.uuid4()), "tenantId": tenant_id, "tenantType": "ORGANISATION",
        "createdDateUtc": identity_string(now), "_user": user, "_client_id": client_id,
    }
    connection.update(authEventId=auth_event_id, tenantName=organisation["Name"],
                      updatedDateUtc=identity_string(now))
    store.put("connection", connection["id"], connection, tenant=tenant_id)
    return connection
