"""Xero's identity endpoints: authorize (login + consent), token, revocation and connections."""
import base64
import binascii
import uuid
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from . import oauth
from .context import current
from .errors import not_found, oauth_error
from .formats import public
from .session import current_user, login_required

bp = Blueprint("identity", __name__)
AUTHORIZE_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                    "code_challenge", "code_challenge_method", "nonce")


def _authorize_problem(params):
    """An error page message for parameters Xero refuses outright, else None."""
    app = current().store.get("app", params.get("client_id") or "")
    if app is None:
        return "unauthorized_client: Unknown client or client not enabled"
    if params.get("redirect_uri") not in app["redirect_uris"]:
        return "unauthorized_client: Invalid redirect_uri"
    return None


def _redirect_error(params, error):
    query = {"error": error, **({"state": params["state"]} if params.get("state") else {})}
    return redirect(f"{params['redirect_uri']}?{urlencode(query)}")


def _redirect_problem(params):
    """The OAuth error to send back to the app for a bad request with a good redirect URI."""
    if params.get("response_type") != "code" or not params.get("state"):
        return "invalid_request"
    if params.get("code_challenge_method") not in (None, "", "S256"):
        return "invalid_request"
    scope = params.get("scope") or ""
    if not scope.strip() or oauth.unknown_scopes(scope):
        return "invalid_scope"
    return None


@bp.get("/identity/connect/authorize")
@login_required
def authorize():
    """Show the consent page: pick an organisation and allow access."""
    params = {name: request.args.get(name) for name in AUTHORIZE_PARAMS}
    problem = _authorize_problem(params)
    if problem:
        return render_template("sandbox/error.html", message=problem), 400
    error = _redirect_problem(params)
    if error:
        return _redirect_error(params, error)
    store = current().store
    organisations = [store.get("organisation", tenant) for tenant in current_user()["tenants"]]
    return render_template("sandbox/consent.html", params=params, organisations=organisations,
                           app=store.get("app", params["client_id"]),
                           scopes=params["scope"].split())


@bp.post("/identity/connect/authorize")
@login_required
def consent():
    """Record the user's answer on the consent page and send them back to the app."""
    params = {name: request.form.get(name) for name in AUTHORIZE_PARAMS}
    problem = _authorize_problem(params) or _redirect_problem(params)
    if problem:
        return render_template("sandbox/error.html", message=problem), 400
    if request.form.get("decision") != "allow":
        return _redirect_error(params, "access_denied")
    user = current_user()
    tenant_id = request.form.get("tenant_id")
    if tenant_id not in user["tenants"]:
        return render_template("sandbox/error.html", message="Choose an organisation"), 400
    sandbox, auth_event_id = current(), str(uuid.uuid4())
    oauth.connect(sandbox, user["email"], params["client_id"], tenant_id, auth_event_id)
    code = oauth.issue_code(
        sandbox, client_id=params["client_id"], redirect_uri=params["redirect_uri"],
        scope=params["scope"], user=user["email"], tenant_id=tenant_id,
        auth_event_id=auth_event_id, code_challenge=params["code_challenge"] or None,
        nonce=params["nonce"])
    query = {"code": code, "scope": params["scope"], "state": params["state"]}
    return redirect(f"{params['redirect_uri']}?{urlencode(query)}")


def _client_credentials_of_request():
    """(client_id, client_secret) from a Basic header or, as the Python SDK sends them, the form."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise oauth_error("invalid_client", 401) from None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return request.form.get("client_id"), request.form.get("client_secret")


@bp.post("/connect/token")
def token():
    """Exchange a code, rotate a refresh token or issue a client-credentials token."""
    grant_type = request.form.get("grant_type")
    client_id, secret = _client_credentials_of_request()
    pkce = grant_type == "authorization_code" and bool(request.form.get("code_verifier"))
    app = oauth.authenticate_client(current().store, client_id, secret, secret_optional=pkce)
    if grant_type == "authorization_code":
        body = oauth.exchange_code(current(), request.form, app, with_secret=secret is not None)
    elif grant_type == "refresh_token":
        body = oauth.refresh(current(), request.form, app)
    elif grant_type == "client_credentials":
        body = oauth.client_credentials(current(), request.form, app)
    else:
        raise oauth_error("unsupported_grant_type")
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/connect/revocation")
def revocation():
    """Revoke a refresh token (and with it the app's connections for that user)."""
    client_id, secret = _client_credentials_of_request()
    app = oauth.authenticate_client(current().store, client_id, secret)
    if not request.form.get("token"):
        raise oauth_error("invalid_request")
    oauth.revoke(current(), request.form["token"], app)
    return Response(status=200)


def _visible_connections(token):
    store = current().store
    if token["custom_tenant"]:
        organisation = store.get("organisation", token["custom_tenant"])
        return [{"id": organisation["OrganisationID"], "authEventId": token["auth_event_id"],
                 "tenantId": organisation["OrganisationID"], "tenantType": "ORGANISATION",
                 "tenantName": organisation["Name"],
                 "createdDateUtc": organisation["_created"], "updatedDateUtc": organisation["_created"]}]
    return oauth.user_connections(store, token["user"], token["client_id"])


@bp.get("/connections")
@bp.get("/Connections")
def connections():
    """The organisations this token's user has connected to the app."""
    token = oauth.access_token(current(), request.headers.get("Authorization"))
    found = _visible_connections(token)
    event = request.args.get("authEventId")
    if event:
        found = [c for c in found if c["authEventId"] == event]
    return jsonify([public(c) for c in found])


@bp.delete("/connections/<connection_id>")
@bp.delete("/Connections/<connection_id>")
def disconnect(connection_id):
    """Remove one of the token user's connections (204), or 404."""
    token = oauth.access_token(current(), request.headers.get("Authorization"))
    ids = {c["id"] for c in _visible_connections(token)}
    if token["custom_tenant"] or connection_id.lower() not in ids:
        raise not_found()
    current().store.delete("connection", connection_id.lower())
    return Response(status=204)
