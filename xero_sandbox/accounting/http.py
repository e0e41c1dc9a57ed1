"""Request and response plumbing shared by the Accounting API views."""
import json
import uuid

from flask import g, jsonify, request

from ..context import current
from ..errors import post_data_invalid, validation_exception
from ..formats import net_date, parse_timestamp
from .shapes import check_types

ELEMENT_IDS = ("BatchPaymentID", "BankTransactionID", "CreditNoteID", "ContactID", "InvoiceID",
               "ItemID", "PurchaseOrderID", "PaymentID")
DEFAULT_PAGE_SIZE = 100
MAX_INTEGER = 2**31 - 1


class Invalid(Exception):
    """One submitted element failed Xero's validation rules."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = list(messages)


def envelope(key, items, pagination=None):
    """Xero's response envelope around a list of objects."""
    body = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": g.caller["app_name"],
            "DateTimeUTC": net_date(current().clock.now_ms(), offset=False)}
    if pagination is not None:
        body["pagination"] = pagination
    body[key] = items
    return jsonify(body)


def flag(name):
    """A boolean query parameter (`true`/`false`, any case)."""
    return request.args.get(name, "").lower() == "true"


def paging():
    """(page, page_size): page is None for an unpaged request; page size is clamped to 1000
    (or 100 under the `page_size_cap` variant)."""
    def integer(name):
        try:
            value = int(request.args.get(name, ""))
        except ValueError:
            return None
        if not -MAX_INTEGER <= value <= MAX_INTEGER:
            raise validation_exception([{"ValidationErrors": [
                {"Message": f"{name} must be a whole number below {MAX_INTEGER + 1}."}]}])
        return value
    page, size = integer("page"), integer("pageSize")
    size = min(max(size or DEFAULT_PAGE_SIZE, 1), int(current().variants["page_size_cap"]))
    return (max(page, 1) if page is not None else None), size


def modified_since_ms():
    """If-Modified-Since in whole-second milliseconds, or None."""
    header = request.headers.get("If-Modified-Since")
    if not header:
        return None
    try:
        return int(parse_timestamp(header).timestamp()) * 1000
    except ValueError:
        return None


def id_list(name):
    """A comma-separated query parameter as a list of lowercase values."""
    return [part.strip().lower() for part in request.args.get(name, "").split(",") if part.strip()]


def read_items(key, shape):
    """The submitted objects: `{"Key": [...]}`, a single object or a bare list."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise post_data_invalid("the body is empty.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise post_data_invalid(f"{error}.") from None
    if isinstance(body, dict) and key in body:
        body = body[key]
    items = body if isinstance(body, list) else [body]
    check_types(items, [shape], f"$.{key}" if isinstance(body, list) else "$")
    return items


def _is_uuid(value):
    try:
        return isinstance(value, str) and uuid.UUID(value) is not None
    except ValueError:
        return False


def echo(item):
    """A submitted element as Xero echoes it back: ids that are not ids are left out (the spec's
    Element and record schemas type them as UUIDs)."""
    return {key: value for key, value in item.items() if key not in ELEMENT_IDS or _is_uuid(value)}


def save_all(key, items, save_one, error_flag="HasValidationErrors"):
    """Save each item; answer as Xero does with and without `summarizeErrors`."""
    summarize = request.args.get("summarizeErrors", "true").lower() != "false"
    results, failures = [], []
    for item in items:
        try:
            saved = save_one(item)
            results.append({**saved, "StatusAttributeString": "OK"} if not summarize else saved)
        except Invalid as error:
            echoed = {**echo(item), error_flag: True, "StatusAttributeString": "ERROR",
                      "ValidationErrors": [{"Message": message} for message in error.messages]}
            failures.append(echoed)
            results.append(echoed)
    if failures and summarize:
        raise validation_exception(failures)
    return envelope(key, results)
