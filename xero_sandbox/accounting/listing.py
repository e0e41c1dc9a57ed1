"""Paged, filtered and ordered lists, the same way for every Accounting API collection."""
import re

from flask import request

from ..context import current
from ..query import Field, json_field, order_sql, where_sql
from .http import modified_since_ms, paging

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def field_resolver(special):
    """A resolver for `where`/`order`: the `special` Fields first, else the JSON path itself."""
    lowered = {name.lower(): field for name, field in special.items()}

    def resolve(name):
        if name.lower() in lowered:
            return lowered[name.lower()]
        return json_field(name)
    return resolve


UPDATED = Field("updated_ms", "ms")


class Listing:
    """Builds one list query from Xero's parameters plus the endpoint's own filters."""

    def __init__(self, resolve):
        self.resolve = resolve
        self.conditions, self.params = [], []

    def add(self, condition, *params):
        """AND an SQL condition onto the query."""
        self.conditions.append(condition)
        self.params.extend(params)
        return self

    def any_of(self, sql, values):
        """AND `sql IN (values)` when values were given."""
        if values:
            self.add(f"{sql} IN ({','.join('?' * len(values))})", *values)
        return self

    def from_request(self):
        """Apply `where` and If-Modified-Since from the current request."""
        if request.args.get("where", "").strip():
            sql, params = where_sql(request.args["where"], self.resolve)
            self.add(sql, *params)
        since = modified_since_ms()
        if since is not None:
            # Accurate to the second: "after" skips the rest of the second named.
            after = current().variants["modified_since"] == "after"
            self.add("updated_ms >= ?", since + 1000 if after else since)
        return self

    def run(self, store, kind, tenant, default_order):
        """(records, pagination or None) for the current request's paging and order."""
        where = " AND ".join(f"({c})" for c in self.conditions) or "1"
        order = request.args.get("order", "").strip()
        order = f"{order_sql(order, self.resolve)}, seq" if order else default_order
        page, size = paging()
        if page is None:
            return store.select(kind, tenant, where, self.params, order), None
        items = store.select(kind, tenant, where, self.params, order, size, (page - 1) * size)
        total = store.count(kind, tenant, where, self.params)
        return items, {"page": page, "pageSize": size, "pageCount": -(-total // size),
                       "itemCount": total}
