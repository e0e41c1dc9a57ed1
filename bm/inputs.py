"""Reading whole numbers, ids and dates from what a browser sends, within what the app can hold."""
import re
from datetime import date

from werkzeug.routing import IntegerConverter

# PostgreSQL's integer column; SQLite would store more and then fail on the next increment.
LARGEST_ID = 2**31 - 1
ASCII_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() and \d also accept '²' or '٣'


def whole_number(text, minimum=0, maximum=LARGEST_ID):
    """Return ``text`` as an int if it is ASCII digits from ``minimum`` to ``maximum``, else None."""
    text = str(text if text is not None else "").strip()
    if len(text) > len(str(maximum)) or not ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


# Far enough for any practice's records; a day's arithmetic near date.max would overflow.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2999, 12, 31)


def day(text):
    """Return ``text`` as a date (2026-01-31) from EARLIEST_DATE to LATEST_DATE, else None."""
    try:
        value = date.fromisoformat(str(text if text is not None else "").strip())
    except ValueError:
        return None
    return value if EARLIEST_DATE <= value <= LATEST_DATE else None


def key_text(text, max_length):
    """Return ``text`` if it can be a stored key of a ``max_length`` column (printable, no NUL,
    not longer), else None: a lookup by it then finds nothing instead of failing."""
    text = str(text if text is not None else "")
    return text if 0 < len(text) <= max_length and text.isprintable() else None


def record_id(text):
    """Parse a query-string id for ``request.args.get(..., type=record_id)``: out of range is absent."""
    number = whole_number(text, minimum=1)
    if number is None:
        raise ValueError(f"not a record id: {text!r}")
    return number


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits up to LARGEST_ID, else the URL is not found."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(url_map, *args, **kwargs)
