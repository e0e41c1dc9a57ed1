"""Errors as Xero sends them: problem details for auth, plain text 404, ValidationException, ..."""
import uuid

from flask import Response, jsonify

NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


class XeroError(Exception):
    """An error that carries the exact response Xero would send."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def problem(status, title, detail):
    """The problem-details JSON Xero's gateway sends for 401/403."""
    body = {"Type": None, "Title": title, "Status": status, "Detail": detail,
            "Instance": str(uuid.uuid4()), "Extensions": {}}
    response = jsonify(body)
    response.status_code = status
    return XeroError(response)


def unauthorized(detail="AuthorizationUnsuccessful"):
    """401: missing, unknown, revoked or expired access token, or a scope not granted."""
    error = problem(401, "Unauthorized", detail)
    error.response.headers["WWW-Authenticate"] = "Bearer"
    return error


def forbidden(detail="AuthenticationUnsuccessful"):
    """403: missing tenant header, or a tenant this token is not connected to."""
    return problem(403, "Forbidden", detail)


def not_found():
    """404 with Xero's plain-text body."""
    return XeroError(Response(NOT_FOUND_TEXT, 404, mimetype="text/plain"))


def api_exception(status, number, kind, message, elements=None):
    """An Accounting API exception body (`ErrorNumber`, `Type`, `Message`, `Elements`)."""
    body = {"ErrorNumber": number, "Type": kind, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    response = jsonify(body)
    response.status_code = status
    return XeroError(response)


def validation_exception(elements):
    """400 ValidationException listing the echoed elements with their ValidationErrors."""
    return api_exception(400, 10, "ValidationException", "A validation exception occurred",
                         elements)


def post_data_invalid(detail):
    """400 PostDataInvalidException for a body that cannot be read."""
    return api_exception(400, 14, "PostDataInvalidException",
                         f"JSON request body could not be read, {detail}")


def query_parse_error(detail):
    """400 QueryParseException for a `where` or `order` Xero cannot parse."""
    return api_exception(400, 16, "QueryParseException", detail)


def oauth_error(error, status=400):
    """The token endpoint's `{"error": ...}` body."""
    response = jsonify({"error": error})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return XeroError(response)
