"""Check sandbox responses against Xero's official OpenAPI specs (loaded once per session)."""
import functools
import json
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator

SPECS = Path(__file__).resolve().parents[3] / "shared" / "xero-openapi"
XERO_API = "https://api.xero.com"
NO_SPECS = f"Xero's OpenAPI specs are not at {SPECS} (../shared beside the checkout)"


def have_specs():
    """Whether Xero's specs are beside the checkout; without them only the shape checks run."""
    return (SPECS / "xero_accounting.yaml").is_file() and (SPECS / "xero-identity.yaml").is_file()


@functools.lru_cache(maxsize=None)
def accounting_spec():
    """Xero's accounting spec (its own schema self-check is off: the spec has typos)."""
    return OpenAPI.from_file_path(str(SPECS / "xero_accounting.yaml"),
                                  config=Config(spec_validator_cls=None))


def _identity_date_time(value):
    """Xero's identity dates have no offset (`2019-12-07T18:46:19.5165400`, the spec's own
    example), which strict RFC 3339 refuses; accept that exact form and RFC 3339."""
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?(Z|[+-]\d\d:\d\d)?",
                             value))


@functools.lru_cache(maxsize=None)
def identity_spec():
    """Xero's identity spec."""
    return OpenAPI.from_file_path(str(SPECS / "xero-identity.yaml"), config=Config(
        spec_validator_cls=None, extra_format_validators={"date-time": _identity_date_time}))


@functools.lru_cache(maxsize=None)
def access_token_validator():
    raw = yaml.safe_load((SPECS / "xero-identity.yaml").read_text())
    return OAS30Validator(raw["components"]["schemas"]["AccessToken"])


def _as_xero(prepared, path):
    copy = prepared.copy()
    parts = urlsplit(prepared.url)
    copy.url = urlunsplit(("https", "api.xero.com", path, parts.query, ""))
    return RequestsOpenAPIRequest(copy)


def _problem_details(response, status, detail_prefix):
    body = response.json()
    assert body["Status"] == status and body["Title"] in ("Unauthorized", "Forbidden")
    assert body["Detail"].startswith(detail_prefix) and "Instance" in body


def check(response):
    """Assert that a response has the shape Xero gives (spec-validated where the spec covers it)."""
    path = urlsplit(response.request.url).path
    status = response.status_code
    if path.startswith("/_sandbox") or not path.startswith(("/api.xro", "/connect", "/connections",
                                                             "/Connections")):
        return
    if status == 401 and not path.startswith("/connect/"):
        return _problem_details(response, 401, "")
    if status == 403:
        return _problem_details(response, 403, "")
    if status == 404 and response.headers["Content-Type"].startswith("text/plain"):
        assert response.text == "The resource you're looking for cannot be found"
        return None
    if status == 429:
        assert response.headers["X-Rate-Limit-Problem"] and response.headers["Retry-After"]
        return None
    if status in (500, 503):
        return None
    if status == 501:  # a Xero route the sandbox does not implement
        assert response.json()["Type"] == "NotImplementedException"
        return None
    if status == 405:
        assert set(response.json()) == {"Message"}
        return None
    if not have_specs():
        return None
    if path == "/connect/token":
        if status == 200:
            access_token_validator().validate(response.json())
        else:
            assert set(response.json()) == {"error"}
        return None
    if path == "/connect/revocation":
        return None
    if path.lower().startswith("/connections"):
        spec, api_path = identity_spec(), "/Connections" + path[len("/connections"):]
    else:
        spec, api_path = accounting_spec(), path
    request = _as_xero(response.request, api_path)
    try:
        spec.validate_response(request, RequestsOpenAPIResponse(response))
    except ResponseNotFound:
        assert status in (400, 413), f"undocumented status {status}"
        assert {"ErrorNumber", "Type", "Message"} <= set(response.json())


def validating_session():
    """A requests Session that checks every response it receives."""
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: check(response))
    return session


def body_of(response):
    """The JSON body, for assertion messages."""
    try:
        return json.dumps(response.json())[:2000]
    except ValueError:
        return response.text[:2000]
