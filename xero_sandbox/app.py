"""The sandbox app factory."""
import logging
import secrets

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from . import admin as admin_endpoints
from . import demo, edge, identity, ui
from .accounting import routes
from .clock import SandboxClock
from .context import Sandbox
from .errors import NOT_FOUND_TEXT, XeroError, api_exception
from .faults import FaultInjector
from .idempotency import DEFAULT_WINDOW_SECONDS, IdempotencyStore
from .limits import RateLimiter
from .stats import CallStats
from .variants import Variants
from .store import Store
from .webhooks import WebhookDispatcher

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 3_500_000
# The Accounting API's collections (the first path segment of every path in Xero's OpenAPI spec):
# a route under one of these that the sandbox lacks is 501, not a 404 that reads "no such record".
XERO_COLLECTIONS = {
    "Accounts", "BankTransactions", "BankTransfers", "BatchPayments", "BrandingThemes", "Budgets",
    "ContactGroups", "Contacts", "CreditNotes", "Currencies", "ExpenseClaims", "InvoiceReminders",
    "Invoices", "Items", "Journals", "LinkedTransactions", "ManualJournals", "Organisation",
    "Overpayments", "PaymentServices", "Payments", "Prepayments", "PurchaseOrders", "Quotes",
    "Receipts", "RepeatingInvoices", "Reports", "Setup", "TaxRates", "TrackingCategories", "Users",
}


def create_app(data_path=None, admin=False, **overrides):
    """A sandbox Xero. `data_path=None` keeps state in memory; `admin` mounts /_sandbox.

    Overrides: `redirect_uris` (more callback URLs for sandbox-app), `limits` (dict as for
    POST /_sandbox/limits), `variants` (dict as for POST /_sandbox/variants),
    `idempotency_window_seconds`, `secret_key`.
    """
    app = Flask(__name__)
    store = Store(data_path)
    clock = SandboxClock(store)
    sandbox = Sandbox(
        store=store, clock=clock, limits=RateLimiter(clock), faults=FaultInjector(),
        idempotency=IdempotencyStore(clock, overrides.get("idempotency_window_seconds",
                                                          DEFAULT_WINDOW_SECONDS)),
        stats=CallStats(), webhooks=WebhookDispatcher(clock), variants=Variants(clock), admin=admin)
    app.extensions["xero_sandbox"] = sandbox
    if store.meta("session_key") is None:
        store.set_meta("session_key", secrets.token_hex(32))
    app.config.update(SECRET_KEY=overrides.get("secret_key") or store.meta("session_key"),
                      MAX_CONTENT_LENGTH=MAX_BODY_BYTES, SESSION_COOKIE_NAME="xero_sandbox")
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    if overrides.get("limits"):
        sandbox.limits.configure(**overrides["limits"])
    if overrides.get("variants"):
        sandbox.variants.configure(**overrides["variants"])
    if store.is_empty() or store.get("app", demo.CLIENT_ID) is None:
        demo.install(sandbox, overrides.get("redirect_uris", ()))
    elif overrides.get("redirect_uris"):
        registered = store.get("app", demo.CLIENT_ID)
        registered["redirect_uris"] = list(dict.fromkeys(registered["redirect_uris"]
                                                         + list(overrides["redirect_uris"])))
        store.put("app", demo.CLIENT_ID, registered)
    for blueprint in (identity.bp, routes.bp, ui.bp):
        app.register_blueprint(blueprint)
    if admin:
        app.register_blueprint(admin_endpoints.bp)
    app.before_request(edge.before_request)
    app.after_request(edge.after_request)
    app.teardown_request(edge.teardown_request)
    _register_error_handlers(app)
    app.wsgi_app = edge.ConnectionDropper(app.wsgi_app)
    return app



def _is_api():
    return request.path.startswith((edge.API_PREFIX, "/connect", "/connections", "/Connections"))


def _in_xero_collection():
    """True for an Accounting API path under one of Xero's collections."""
    if not request.path.startswith(edge.API_PREFIX + "/"):
        return False
    return request.path[len(edge.API_PREFIX) + 1:].split("/")[0] in XERO_COLLECTIONS


def _register_error_handlers(app):
    @app.errorhandler(XeroError)
    def xero_error(error):
        return error.response

    @app.errorhandler(HTTPException)
    def http_error(error):
        if not _is_api() and not request.path.startswith("/_sandbox"):
            return error
        if error.code == 404 and _in_xero_collection():
            return api_exception(501, 501, "NotImplementedException",
                                 f"The sandbox does not implement {request.method} {request.path}; "
                                 "Xero does.").response
        if error.code == 404:
            return Response(NOT_FOUND_TEXT, 404, mimetype="text/plain")
        if error.code == 405:
            response = jsonify({"Message": f"The requested resource does not support http method "
                                           f"'{request.method}'."})
            response.status_code = 405
            return response
        if error.code == 413:
            return api_exception(413, 413, "RequestEntityTooLarge",
                                 "The request body is larger than 3.5 MB.").response
        return api_exception(error.code, error.code, type(error).__name__, error.description).response

    @app.errorhandler(Exception)
    def server_error(error):
        log.exception("sandbox error on %s %s", request.method, request.path)
        return api_exception(500, 500, "UnknownErrorException",
                             "An error occurred in Xero.").response
