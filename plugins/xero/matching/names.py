"""A name folded for comparison: its trading and former names apart, without titles or legal suffixes."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

from .text import fold

# What a name variant is: the name itself, or the part after "t/a" or "formerly".
PRIMARY, TRADING, FORMER = 0, 1, 2

TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "messrs"})
_LEADING_WORDS = TITLES | {"the"}
_LEGAL_SUFFIXES = frozenset({
    "ltd", "limited", "pty", "proprietary", "llc", "llp", "lp", "lllp", "pllc", "inc",
    "incorporated", "plc", "gmbh", "teoranta", "teo", "cuideachta", "co", "company", "corp",
    "corporation", "cic", "ulc", "dac", "clg", "bv", "nv", "sarl", "srl",
    "and",  # left over from "Smith & Co"
})
_LEGAL_PHRASES = (
    ("limited", "liability", "partnership"),
    ("limited", "liability", "company"),
    ("public", "limited", "company"),
    ("private", "limited", "company"),
    ("community", "interest", "company"),
)
_PHRASE_ENDS = frozenset(phrase[-1] for phrase in _LEGAL_PHRASES)
# "Smith & Jones Ltd t/a The Corner Bakery", "Bloggs (trading as Quay Cafe)", "New (formerly Old)"
_ALIAS_MARKERS = re.compile(
    r"\s*[(\[]?\s*(?:-\s*)?\b(t\s*/\s*as?|t\.\s?a\.|trading\s+as|formerly|previously|f/k/a|fka)"
    r"(?![\w/])[.:]?\s*", re.IGNORECASE)
_ALIAS_HINTS = ("t/", "t.a", "trading", "formerly", "previously", "fka", "f/k/a")


def normalise_name(value: Any) -> str:
    """Return a name folded for comparison: no case, accents, punctuation or legal suffix."""
    tokens, _ = name_tokens(fold(value))
    return " ".join(tokens)


def name_variants(name: str) -> tuple[list[tuple[str, int]], tuple[str, ...], bool]:
    """Return the name's variants as (sorted tokens, kind), primary first, the primary's tokens,
    and whether any part carries a legal suffix."""
    variants, primary, company = [], (), False
    for part, kind in _aliases(name):
        tokens, has_suffix = name_tokens(fold(part.strip(" ()[]-")))
        company = company or has_suffix
        if tokens:
            variants.append((" ".join(sorted(tokens)), kind))
            primary = primary or tokens
    if variants and variants[0][1] != PRIMARY:  # "t/a Quay Cafe": the only name is the name
        variants[0] = (variants[0][0], PRIMARY)
    return variants, primary, company


def _aliases(name: str) -> list[tuple[str, int]]:
    """Return the name split where it says "t/a", "trading as" or "formerly", with each part's kind."""
    lowered = name.lower()
    if not any(hint in lowered for hint in _ALIAS_HINTS):  # the regular expression is slow
        return [(name, PRIMARY)]
    pieces = _ALIAS_MARKERS.split(name)
    return [(pieces[0], PRIMARY)] + [(piece, FORMER if marker.lower()[0] in "fp" else TRADING)
                                     for marker, piece in zip(pieces[1::2], pieces[2::2])]


def name_tokens(tokens: list[str]) -> tuple[tuple[str, ...], bool]:
    """Return the name's significant tokens and whether it carried a legal suffix."""
    while len(tokens) > 1 and tokens[0] in _LEADING_WORDS:
        tokens = tokens[1:]
    if any(token in TITLES for token in tokens):  # "Mr & Mrs Patel", "Whitfield Jane (Mrs)"
        tokens = [token for token in tokens if token not in TITLES] or tokens
    core = _strip_legal_suffixes(tokens)
    if not core:  # a name made only of suffix words ("The Company Ltd") keeps them
        return tuple(tokens), False
    # "&" says nothing about who is named ("Mr & Mrs Patel" is "patel")
    return (tuple(token for token in core if token != "and") or tuple(core),
            any(token != "and" for token in tokens[len(core):]))


def _strip_legal_suffixes(tokens: list[str]) -> list[str]:
    """Return the tokens without the legal suffixes and phrases they end with."""
    stripped = True
    while tokens and stripped:
        stripped = False
        for phrase in _LEGAL_PHRASES if tokens[-1] in _PHRASE_ENDS else ():
            if tuple(tokens[-len(phrase):]) == phrase:
                tokens, stripped = tokens[: -len(phrase)], True
        if tokens and (tokens[-1] in _LEGAL_SUFFIXES or _misspelt_limited(tokens[-1])):
            tokens, stripped = tokens[:-1], True
    return tokens


def _misspelt_limited(token: str) -> bool:
    """Return whether the word is "Limited" typed wrong ("Limtied", "Limitede", "Lmited")."""
    return len(token) >= 6 and token[0] == "l" and fuzz.ratio(token, "limited") >= 80
