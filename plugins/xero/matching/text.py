"""Any value as trimmed text, and text as lower-case ASCII words."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_ABBREVIATION = re.compile(r"\b(?:\w\.){2,}")
_NOT_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile(r"[\u2019\u2018]")
# ASCII punctuation to spaces, apostrophes dropped, "&" and "+" read as "and".
_ASCII_WORDS = {code: " " for code in range(128) if not chr(code).isalnum()} | {
    ord("'"): None, ord("`"): None, ord("&"): " and ", ord("+"): " and "}


def text(value: Any) -> str:
    """Return the value as text without surrounding space, "" for None."""
    if value is None:
        return ""
    return value.strip() if type(value) is str else str(value).strip()


def fold(value: Any) -> list[str]:
    """Return lower-case word tokens without accents or punctuation; "&" reads as "and"."""
    value = text(value)
    if not value:
        return []
    ascii_only = value.isascii()
    if ascii_only:
        value = value.lower()
    else:
        value = unicodedata.normalize("NFKD", value)
        value = "".join(char for char in value if not unicodedata.combining(char)).casefold()
        value = _APOSTROPHES.sub("", value)
        ascii_only = value.isascii()
    if "." in value:
        value = _ABBREVIATION.sub(lambda found: found.group(0).replace(".", ""), value)
    if ascii_only:  # str.translate does in one pass what the regular expressions do
        return value.translate(_ASCII_WORDS).split()
    value = value.replace("'", "").replace("`", "").replace("&", " and ").replace("+", " and ")
    return _NOT_WORD.sub(" ", value).split()


def folded(value: Any) -> str:
    """Return the folded words joined by single spaces."""
    return " ".join(fold(value))
