"""Walking the whole URL map with hostile input (the property of tests/test_hostile_property.py).

For each rule and method, as one visitor, hypothesis draws hostile values (huge and negative
numbers, NaN, unicode digits, NUL and control characters, 10,000-character strings, far dates,
malformed UTF-8) for its path arguments and for the query and form fields its view reads and
its page's form shows, and sends them with a valid CSRF token so they reach the view. Every
field of every rule also gets one value of each kind as an explicit example. The answer must
never be a 5xx, and a refused request (4xx) must leave every saved row as it was.
Staff must be refused (4xx, so nothing changed) by every admin-only view. ``BM_HOSTILE_EXAMPLES``
sets the random examples per rule and visitor.
"""
import inspect
import os
import re
import sys
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect as schema, text

from bm.extensions import db
from bm.testing import Browser

EXAMPLES = int(os.environ.get("BM_HOSTILE_EXAMPLES", "3"))
# Rows a refused request may change by design: a failed sign-in is counted for throttling, and
# the settings page refreshes its copy of Xero's tax rates whenever it reads them.
CHANGED_BY_REFUSALS = {"login_attempts", "xero_tax_rates"}
# Ending the visitor's own session would leave the rest of the walk anonymous.
SKIPPED = {("auth.logout", "POST")}
READS = re.compile(r"""(?:args|form|values|files)\.get(?:list)?\(\s*["']([\w-]+)["']|form\[["']([\w-]+)["']""")
INPUT_NAMES = re.compile(r"""<(?:input|select|textarea)[^>]*\bname="([\w-]+)\"""")
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

HOSTILE_TEXT = [
    "99999999999999999999", "18446744073709551616", "2147483648", "-1", "-99999999999999999999", "0",
    "1e308", "1e30", "-1e30", "NaN", "nan", "-Infinity", "sNaN", "1.5", "0x10", "²", "٣", "١٢", "৭", "",
    " ", "\x00", "a\x00b", "\r\nSet-Cookie: x=1", "\x1b[2J", "\u202e", "\ufeff", "9999-12-31", "0001-01-01",
    "10000-01-01", "2026-02-30", "1900-01-01T00:00:00", "x" * 10_000, "9" * 10_000, "%", "_", "\\",
    "'; DROP TABLE clients; --", "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd", "//evil.com",
    "https://evil.com", "[]", "{}", '{"a": ' * 50 + "1" + "}" * 50, "true", "null", "🙂" * 100,
]
hostile = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
)
MALFORMED_UTF8 = ["%FF%FE", "%C0%AF", "%ED%A0%80", "%80", "%F4%90%80%80"]
# One of each kind, sent in every field of every rule as explicit examples (the random ones vary).
EVERY_FIELD = ["99999999999999999999", "-99999999999999999999", "NaN", "²", "a\x00b", "\r\n\x1b", "x" * 10_000,
               "9999-12-31"]


def visitor(app, who):
    browser = Browser(app.test_client())
    if who != "anonymous":
        browser.login(f"{who}@example.com")
    return browser


def rules_to_walk(app, prefix):
    """(rule, method) for every rule under ``prefix``; the plugins page last, since its form may disable a plugin."""
    pairs = [(rule, method) for rule in app.url_map.iter_rules() for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
             if (rule.endpoint, method) not in SKIPPED and rule.rule.startswith(prefix)]
    return sorted(pairs, key=lambda pair: (pair[0].endpoint == "tools.set_plugin", pair[0].rule, pair[1]))


def field_names(app, rule, browser, url):
    """The fields the rule's view reads (from its module's source) and its page's form shows."""
    module = sys.modules[app.view_functions[rule.endpoint].__module__]
    names = {name for pair in READS.findall(inspect.getsource(module)) for name in pair if name}
    if "GET" in rule.methods and url:
        page = browser.get(url)
        if page.mimetype == "text/html":
            names |= set(INPUT_NAMES.findall(page.get_data(as_text=True)))
        page.close()
    return sorted(names - {"csrf_token"}) or ["q"]


def path_values(rule, world):
    """A strategy for the rule's path arguments: real ids or hostile values."""
    arguments = {}
    for converter, name in ARGUMENT.findall(rule.rule):
        real = [str(value) for value in world.get(name, [])]
        arguments[name] = st.sampled_from(real) | hostile if real else hostile
    return st.fixed_dictionaries(arguments)


def build_path(rule, arguments):
    return ARGUMENT.sub(lambda match: quote(arguments[match.group(2)], safe=""), rule.rule)


def snapshot(tables):
    """Every saved row of ``tables``, in a comparable form."""
    db.session.rollback()
    rows = {table: sorted(repr(tuple(row)) for row in db.session.execute(text(f'SELECT * FROM "{table}"')))
            for table in tables}
    db.session.rollback()
    return rows


def send(browser, method, path, fields, malformed, htmx):
    """Send the request as a browser would: a form body for POST, a query string for GET."""
    headers = {"HX-Request": "true"} if htmx else {}
    encoded = urlencode(fields)
    if malformed:
        encoded += ("&" if encoded else "") + f"{malformed[0]}={malformed[1]}"
    if method == "GET":
        return browser.client.get(f"{path}?{encoded}" if encoded else path, headers=headers)
    body = urlencode({"csrf_token": browser.csrf_token()}) + "&" + encoded
    return browser.client.open(path, method=method, data=body.encode(), headers=headers,
                               content_type="application/x-www-form-urlencoded")


def walk(app, world, who, prefix="/"):
    """Send hostile input to every rule under ``prefix`` as ``who``; fail on a 5xx, a refusal that
    changed data, or staff let through an admin-only view.

    :return: ``(rules and methods walked, requests sent)``.
    """
    browser = visitor(app, who)
    tables = sorted(set(schema(db.session.connection()).get_table_names()) - CHANGED_BY_REFUSALS - {"alembic_version"})
    walked, sent = 0, []
    for rule, method in rules_to_walk(app, prefix):
        example_url = None if ARGUMENT.search(rule.rule) else rule.rule
        names = field_names(app, rule, browser, example_url)

        real = {name: str(world.get(name, ["0"])[0]) for _converter, name in ARGUMENT.findall(rule.rule)}
        admin_only = who == "staff" and getattr(app.view_functions[rule.endpoint], "bm_admin_only", False)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(arguments=path_values(rule, world),
               fields=st.dictionaries(st.sampled_from(names), hostile, max_size=len(names)),
               malformed=st.none() | st.tuples(st.sampled_from(names), st.sampled_from(MALFORMED_UTF8)),
               htmx=st.booleans())
        def check(arguments, fields, malformed, htmx):
            path = build_path(rule, arguments)
            before = snapshot(tables)
            response = send(browser, method, path, fields, malformed, htmx)
            sent.append(response.status_code)
            response.close()
            where = f"{who} {method} {path[:200]} {sorted(fields)}"
            assert response.status_code < 500, where
            assert not admin_only or response.status_code >= 400, f"staff reached an admin-only view: {where}"
            if response.status_code >= 400:
                after = snapshot(tables)
                changed = [table for table in tables if after[table] != before[table]]
                assert not changed, f"a refused request changed {changed}: {where}"

        if who != "anonymous" or getattr(app.view_functions[rule.endpoint], "bm_public", False):
            for value in EVERY_FIELD:
                check = example(arguments=real, fields=dict.fromkeys(names, value), malformed=None, htmx=False)(check)
            check = example(arguments=real, fields={}, malformed=(names[0], MALFORMED_UTF8[0]), htmx=True)(check)
        check()
        walked += 1
    print(f"{who}: {len(sent)} hostile requests over {walked} rules and methods under {prefix}")
    return walked, len(sent)
