"""Xero's `where` and `order` query languages, translated to SQL over the JSON records.

Supported: `Field == "x"`, `!=`, `<`, `<=`, `>`, `>=` against strings, numbers, true/false,
null, `Guid("...")` and `DateTime(y, m, d)`; `Field.Contains("x")`, `.StartsWith`,
`.EndsWith`; `AND`/`&&`, `OR`/`||`, `NOT`/`!` and parentheses. Dotted fields such as
`Contact.ContactID` reach into nested objects. String comparisons ignore case, as Xero's do.
"""
import re
from datetime import datetime, timezone

from .errors import query_parse_error

TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)
                      |(?P<op>==|!=|>=|<=|&&|\|\||[=<>!(),.])|(?P<name>[A-Za-z_][A-Za-z0-9_]*))""",
                   re.VERBOSE)
OPERATORS = {"==": "=", "=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
METHODS = {"contains": "%{}%", "startswith": "{}%", "endswith": "%{}"}
LARGEST = 2**63 - 1  # SQLite's integers: a larger literal is refused as Xero refuses it, with a 400


class Field:
    """How one queryable field is stored: an SQL expression and its value type."""

    def __init__(self, sql, kind="text"):
        self.sql, self.kind = sql, kind


def json_field(path, kind="text"):
    """A field stored in the record's JSON at `$.path`."""
    return Field(f"json_extract(data, '$.{path}')", kind)


def _tokens(text):
    position, found = 0, []
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise query_parse_error(f"Unexpected character at position {position} in '{text}'")
        kind = match.lastgroup
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text, resolve):
        self.tokens, self.position, self.resolve = _tokens(text), 0, resolve

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self, expected=None):
        kind, value = self.peek()
        if kind is None or (expected and value.lower() != expected.lower()):
            raise query_parse_error(f"Expected '{expected or 'more'}' in where clause")
        self.position += 1
        return kind, value

    def parse(self):
        sql, params = self.disjunction()
        if self.peek()[0] is not None:
            raise query_parse_error(f"Unexpected '{self.peek()[1]}' in where clause")
        return sql, params

    def disjunction(self):
        sql, params = self.conjunction()
        while self.peek()[1] and self.peek()[1].upper() in ("OR", "||"):
            self.take()
            right, more = self.conjunction()
            sql, params = f"({sql} OR {right})", params + more
        return sql, params

    def conjunction(self):
        sql, params = self.negation()
        while self.peek()[1] and self.peek()[1].upper() in ("AND", "&&"):
            self.take()
            right, more = self.negation()
            sql, params = f"({sql} AND {right})", params + more
        return sql, params

    def negation(self):
        if self.peek()[1] and self.peek()[1].upper() in ("NOT", "!"):
            self.take()
            sql, params = self.negation()
            return f"(NOT {sql})", params
        if self.peek()[1] == "(":
            self.take("(")
            sql, params = self.disjunction()
            self.take(")")
            return sql, params
        return self.comparison()

    def field_name(self):
        kind, name = self.take()
        if kind != "name":
            raise query_parse_error(f"Expected a field name, found '{name}'")
        parts = [name]
        while self.peek()[1] == "." and self.position + 1 < len(self.tokens):
            following = self.tokens[self.position + 1][1]
            if following.lower() in METHODS or following.lower() in ("tolower", "toupper"):
                break
            self.take(".")
            parts.append(self.take()[1])
        return ".".join(parts)

    def comparison(self):
        field = self.resolve(self.field_name())
        while self.peek()[1] == ".":
            self.take(".")
            method = self.take()[1].lower()
            self.take("(")
            if method in ("tolower", "toupper"):
                self.take(")")
                continue
            if method not in METHODS:
                raise query_parse_error(f"Method '{method}' is not supported")
            value = self.value(field)
            self.take(")")
            escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return f"({field.sql} LIKE ? ESCAPE '\\')", [METHODS[method].format(escaped)]
        kind, op = self.take()
        if op not in OPERATORS:
            raise query_parse_error(f"Expected a comparison operator, found '{op}'")
        value = self.value(field)
        if value is None:
            return f"({field.sql} IS {'NOT ' if op == '!=' else ''}NULL)", []
        collate = " COLLATE NOCASE" if isinstance(value, str) and field.kind == "text" else ""
        return f"({field.sql} {OPERATORS[op]} ?{collate})", [value]

    def value(self, field):
        kind, token = self.take()
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", token[1:-1])
            return _typed(text, field)
        if kind == "number":
            value = float(token) if "." in token else int(token)
            if abs(value) > LARGEST:
                raise query_parse_error(f"The number {token} is too large")
            return value
        lowered = token.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if lowered == "guid":
            self.take("(")
            text = self.value(Field("", "text"))
            self.take(")")
            return str(text).lower()
        if lowered == "datetime":
            self.take("(")
            if self.peek()[0] == "string":
                moment = _timestamp(self.take()[1][1:-1])
            else:
                parts = [self.take()[1]]
                while self.peek()[1] == ",":
                    self.take(",")
                    parts.append(self.take()[1])
                moment = _date_time(parts)
            self.take(")")
            return _moment_for(field, moment)
        raise query_parse_error(f"Unexpected '{token}' in where clause")


def _date_time(parts):
    """DateTime(year, month, day[, hour, minute, second]) as an aware UTC datetime."""
    try:
        return datetime(*(int(part) for part in parts), tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        raise query_parse_error(f"DateTime({', '.join(parts)}) is not a valid date") from None


def _timestamp(text):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise query_parse_error(f"'{text}' is not a valid date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _moment_for(field, moment):
    if field.kind == "ms":
        return int(moment.timestamp() * 1000)
    return moment.date().isoformat()


def _typed(text, field):
    if field.kind in ("date", "ms"):
        return _moment_for(field, _timestamp(text))
    if field.kind == "id":
        return text.lower()
    return text


def where_sql(text, resolve):
    """(sql, params) for a Xero `where` expression; `resolve(name)` maps a field to a Field."""
    return _Parser(text, resolve).parse()


def order_sql(text, resolve):
    """An SQL ORDER BY list for a Xero `order` such as `Name ASC, UpdatedDateUTC DESC`."""
    terms = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise query_parse_error(f"Order by '{part.strip()}' could not be parsed")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", words[0]):
            raise query_parse_error(f"Order by '{words[0]}' could not be parsed")
        field = resolve(words[0])
        collate = " COLLATE NOCASE" if field.kind == "text" else ""
        terms.append(f"{field.sql}{collate} {words[1].upper() if len(words) == 2 else 'ASC'}")
    return ", ".join(terms)
