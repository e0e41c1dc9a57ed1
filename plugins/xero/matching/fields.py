"""A record's fields normalised for exact comparison: emails, phones, tax numbers, codes, postcodes, streets."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from .text import fold, text

_FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "msn.com", "aol.com", "icloud.com", "me.com",
    "mac.com", "protonmail.com", "proton.me", "pm.me", "btinternet.com", "sky.com",
    "virginmedia.com", "talktalk.net", "mail.com", "zoho.com", "fastmail.com", "tiscali.co.uk",
    "ntlworld.com", "blueyonder.co.uk", "eircom.net", "bigpond.com", "xtra.co.nz",
    "optusnet.com.au", "comcast.net", "verizon.net", "att.net", "qq.com", "web.de",
})
# Providers with a domain per country (yahoo.co.uk, hotmail.fr, live.com.au, gmx.de, ...).
_FREE_MAIL_PROVIDERS = frozenset({"yahoo", "ymail", "hotmail", "live", "outlook", "gmx",
                                  "yandex", "rocketmail", "windowslive"})

# E.164 country calling codes are prefix-free, so the first that matches is the one.
_CALLING_CODES = frozenset({
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44",
    "45", "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61",
    "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95",
    "98", "212", "213", "216", "234", "254", "255", "256", "260", "263", "350", "351", "352",
    "353", "354", "355", "356", "357", "358", "359", "370", "371", "372", "380", "381", "385",
    "386", "420", "421", "852", "853", "880", "886", "960", "961", "962", "965", "966", "971",
    "972", "973", "974",
})
_PHONE_TAIL = 9  # enough digits to tell numbers apart, few enough to forgive odd prefixes
_PHONE_MIN = 6

_STREET_WORDS = {"st": "street", "rd": "road", "ave": "avenue", "ln": "lane", "sq": "square",
                 "dr": "drive", "ct": "court", "pl": "place", "cres": "crescent"}

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_NOT_DIGIT = re.compile(r"\D+")
_TAX_COUNTRY_PREFIX = re.compile(r"^[A-Z]{2}(?=\d)")


def entries(value: Any) -> list[Mapping[str, Any]]:
    """Return the dicts of a list field (Xero's Phones, Addresses, ContactPersons), none if not a list."""
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, dict)]


def present(values: Iterable[str]) -> list[str]:
    """Return the non-empty values, each once, in their order."""
    return list(dict.fromkeys(value for value in values if value))


def email(value: Any) -> str:
    """Return the address in lower case, "" unless it has something either side of an "@"."""
    address = text(value).casefold()
    return address if "@" in address.strip("@") else ""


def business_domain(address: str) -> str:
    """Return the email's domain, or "" for free-mail, which says nothing about who owns it."""
    domain = address.rpartition("@")[2]
    if not domain or domain in _FREE_MAIL_DOMAINS or domain.split(".")[0] in _FREE_MAIL_PROVIDERS:
        return ""
    return domain


def xero_phone(entry: Mapping[str, Any]) -> str:
    """Return one of Xero's Phones, given whole or as country, area and number, as phone() does."""
    number = text(entry.get("PhoneNumber"))
    if not number or number.startswith(("+", "00")):
        return phone(number)
    country = _NOT_DIGIT.sub("", text(entry.get("PhoneCountryCode")))
    area = text(entry.get("PhoneAreaCode"))
    if country:
        return phone(f"+{country} {area} {number}")
    return phone(f"{area} {number}")


def phone(value: Any) -> str:
    """Return the national number's last digits: no country code, trunk 0 or punctuation."""
    number = text(value)
    if not number:
        return ""
    digits = _NOT_DIGIT.sub("", number)
    international = number.startswith("+") or digits.startswith("00")
    digits = digits.lstrip("0") if digits.startswith("00") else digits
    if international:
        for length in (1, 2, 3):
            if digits[:length] in _CALLING_CODES:
                digits = digits[length:]
                break
    digits = digits.lstrip("0")
    return digits[-_PHONE_TAIL:] if len(digits) >= _PHONE_MIN else ""


def tax_number(value: Any) -> str:
    """Return the tax number's letters and digits, without a VAT country prefix such as GB."""
    return _TAX_COUNTRY_PREFIX.sub("", _NOT_ALNUM.sub("", text(value)).upper())


def code(value: Any) -> str:
    """Return a reference or account number as compared: trimmed, any case."""
    return text(value).casefold()


def postcode(value: Any) -> str:
    """Return the postcode's letters and digits in upper case."""
    return _NOT_ALNUM.sub("", text(value)).upper()


def street(value: Any) -> str:
    """Return an address line as folded words, with "St", "Rd" and the like spelt out."""
    return " ".join(_STREET_WORDS.get(token, token) for token in fold(value))
