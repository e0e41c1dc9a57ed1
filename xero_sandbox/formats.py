"""Xero's wire formats: .NET JSON dates, ISO companions and 2-dp money."""
import re
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NET_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
CENT = Decimal("0.01")
LARGEST_AMOUNT = Decimal("1e12")  # beyond any real invoice; larger numbers are refused, not stored
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def ms_of(moment):
    """Unix milliseconds of an aware datetime or a date (midnight UTC)."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def net_date(ms, offset=True):
    """`/Date(ms+0000)/`, or `/Date(ms)/` for envelope timestamps."""
    return f"/Date({int(ms)}{'+0000' if offset else ''})/"


def date_from_ms(ms):
    """The UTC datetime of Unix milliseconds."""
    return EPOCH + timedelta(milliseconds=int(ms))


def utc_string(ms):
    """`2019-03-07T17:59:28Z`, as in UpdatedDateUTCString."""
    return date_from_ms(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_string(day):
    """`2018-10-20T00:00:00`, as in DateString and DueDateString."""
    return f"{day.isoformat()}T00:00:00"


def identity_string(ms):
    """`2019-12-07T18:46:19.5165400`, as in the identity API's dates."""
    moment = date_from_ms(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"


def parse_day(value):
    """A calendar date from `YYYY-MM-DD`, an ISO timestamp or `/Date(ms)/`; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(value)
    match = NET_DATE.match(value)
    if match:
        try:
            return date_from_ms(int(match.group(1))).date()
        except OverflowError:
            raise ValueError(value) from None
    return date.fromisoformat(value[:10])


def parse_timestamp(value):
    """An aware datetime from ISO 8601 (naive means UTC) or an HTTP date; ValueError otherwise."""
    from email.utils import parsedate_to_datetime

    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError) as error:
            raise ValueError(value) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def decimal(value, default=None):
    """A Decimal from a JSON number or numeric string; ValueError for anything else."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(value)
    try:
        result = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(value) from error
    if not result.is_finite() or abs(result) >= LARGEST_AMOUNT:
        raise ValueError(value)
    return result


def money(value):
    """Round half up to cents, as Xero does."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def number(value):
    """A Decimal as a JSON number."""
    return float(value)


def public(record):
    """A stored record without its internal (underscore) keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}
