"""Rank practice clients for each unlinked Xero contact, with a percentage score.

Pure functions: no Flask, no database, no I/O. Xero contacts are the Accounting API's Contact
JSON objects; clients are dicts with the Client model's field names. Any field may be missing,
None or empty.

How a pair is scored (a Fellegi-Sunter style sum of log-odds, turned into a percentage):

- Name similarity ``n`` (rapidfuzz ratio over sorted, normalised name tokens, so word order,
  legal suffixes, "&"/"and", punctuation, case and diacritics do not matter; initials such as
  "J Smith" are expanded against the other name at a 5 point cost; for individual clients the
  Xero FirstName/LastName are compared too) gives ``1.52 - 0.068 * (100 - n)``: an identical
  name with nothing else known scores 82, a near miss at n=80 scores 54.
- Evidence adds to it: Xero ContactNumber equal to the client reference +4.0, tax number equal
  +3.0, email equal +2.5, account number equal +2.0, phone equal (digits, country code and
  trunk 0 stripped) +1.8, same email domain (not free-mail) +0.8, postcode equal +0.8,
  address line 1 alike +0.7.
- Contradictions subtract: two different tax numbers -3.0 (strong), different postcodes -0.4,
  different emails or phones -0.2 each (people keep several, so weak).
- ``score = round(100 * sigmoid(total))``. A perfect name and an exact email give 98, so a
  corroborated match always beats a name-only near miss between two different businesses.

suggest() finds candidates cheaply before scoring them exactly: name similarity for all pairs
comes from rapidfuzz's cdist in row chunks (uint8, with a score cutoff), the best few per
contact are kept and joined with clients sharing an exact key (email, phone, tax number,
reference, account number, email domain, postcode); only those pairs get the full score, which
is the same function explain() uses.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
from rapidfuzz import fuzz, process

FLOOR = 30
"""Suggestions scoring below this are not worth showing."""

_NAME_AT_100 = 1.52
_NAME_SLOPE = 0.068
_NO_NAME = -1.5
_INITIALS_COST = 5

_REFERENCE = 4.0
_TAX_EQUAL = 3.0
_TAX_DIFFERS = -3.0
_EMAIL_EQUAL = 2.5
_ACCOUNT_EQUAL = 2.0
_PHONE_EQUAL = 1.8
_EMAIL_DOMAIN = 0.8
_POSTCODE_EQUAL = 0.8
_LINE1_ALIKE = 0.7
_POSTCODE_DIFFERS = -0.4
_EMAIL_DIFFERS = -0.2
_PHONE_DIFFERS = -0.2
_LINE1_THRESHOLD = 85

# Candidate search. Names scoring under the cutoff cannot reach FLOOR even with a like address
# line 1; every stronger piece of evidence is an exact key that the key index finds anyway.
# A key shared by more than _BLOCK_MAX clients (a practice-wide email or phone) is skipped.
_NAME_NEIGHBOURS_MIN = 10
_NAME_CUTOFF = 55
_CHUNK_CELLS = 4_000_000
_BLOCK_MAX = 50

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
_LEADING_WORDS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "the"})
_STREET_WORDS = {"st": "street", "rd": "road", "ave": "avenue", "ln": "lane", "sq": "square",
                 "dr": "drive", "ct": "court", "pl": "place", "cres": "crescent"}

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

_ABBREVIATION = re.compile(r"\b(?:\w\.){2,}")
_NOT_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile(r"[\u2019\u2018]")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_NOT_DIGIT = re.compile(r"\D+")
_TAX_COUNTRY_PREFIX = re.compile(r"^[A-Z]{2}(?=\d)")


@dataclass(frozen=True, slots=True)
class Match:
    """How well one Xero contact matches one client, and the evidence shown to the user."""

    score: int
    reasons: list[str]


def suggest(
    xero_contacts: Iterable[Mapping[str, Any]],
    clients: Iterable[Mapping[str, Any]],
    limit: int = 5,
) -> dict[str, list[tuple[int, int]]]:
    """Return {ContactID: [(client_id, score), ...]} with the best `limit` clients first."""
    contacts = [_contact_profile(contact) for contact in xero_contacts]
    profiles = [_client_profile(client) for client in clients]
    # In id order, so that clients tied on name enter the shortlist by id as they leave it.
    profiles = sorted((profile for profile in profiles if profile.client_id is not None),
                      key=lambda profile: _id_order(profile.client_id))
    suggestions: dict[str, list[tuple[int, int]]] = {
        _contact_key(contact, position): [] for position, contact in enumerate(contacts)
    }
    if limit <= 0 or not contacts or not profiles:
        return suggestions

    keys = _KeyIndex(profiles)
    neighbours = _name_neighbours(contacts, profiles, max(2 * limit, _NAME_NEIGHBOURS_MIN))
    for position, (contact, near) in enumerate(zip(contacts, neighbours)):
        candidates = near | keys.candidates(contact)
        suggestions[_contact_key(contact, position)] = _best(contact, candidates, profiles, limit)
    return suggestions


def explain(xero_contact: Mapping[str, Any], client: Mapping[str, Any]) -> Match:
    """Return the score suggest() gives this pair and the reasons behind it."""
    return _score(_contact_profile(xero_contact), _client_profile(client))


def normalise_name(text: Any) -> str:
    """Return a name folded for comparison: no case, accents, punctuation or legal suffix."""
    tokens, _ = _name_tokens(text)
    return " ".join(tokens)


# --- profiles: every field normalised once per record ------------------------------------


@dataclass(slots=True)
class _Profile:
    client_id: Any
    contact_id: Any
    name: str  # normalised tokens, sorted and joined, so fuzz.ratio is a token sort ratio
    tokens: tuple[str, ...]
    has_initial: bool
    company_like: bool
    individual: bool
    first: str
    last: str
    emails: frozenset[str]
    domains: frozenset[str]
    phones: frozenset[str]
    tax: str
    number: str
    account: str
    postcodes: frozenset[str]
    lines: tuple[str, ...]


def _contact_profile(contact: Mapping[str, Any] | None) -> _Profile:
    contact = contact or {}
    first, last = _text(contact.get("FirstName")), _text(contact.get("LastName"))
    name = _text(contact.get("Name")) or f"{first} {last}".strip()
    tokens, company_like = _name_tokens(name)
    emails = {_email(contact.get("EmailAddress"))}
    for person in _records(contact.get("ContactPersons")):
        emails.add(_email(person.get("EmailAddress")))
    addresses = _records(contact.get("Addresses"))
    return _Profile(
        client_id=None,
        contact_id=contact.get("ContactID"),
        name=" ".join(sorted(tokens)),
        tokens=tokens,
        has_initial=any(len(token) == 1 for token in tokens),
        company_like=company_like,
        individual=False,
        first=" ".join(_fold(first)),
        last=" ".join(_fold(last)),
        emails=_present(emails),
        domains=_present(_business_domain(email) for email in emails),
        phones=_present(_xero_phone(phone) for phone in _records(contact.get("Phones"))),
        tax=_tax_number(contact.get("TaxNumber")),
        number=_code(contact.get("ContactNumber")),
        account=_code(contact.get("AccountNumber")),
        postcodes=_present(_postcode(address.get("PostalCode")) for address in addresses),
        lines=tuple(_present(_street(address.get("AddressLine1")) for address in addresses)),
    )


def _client_profile(client: Mapping[str, Any] | None) -> _Profile:
    client = client or {}
    first, last = _text(client.get("first_name")), _text(client.get("last_name"))
    name = _text(client.get("name")) or f"{first} {last}".strip()
    tokens, company_like = _name_tokens(name)
    kind = _text(client.get("kind")).lower()
    email = _email(client.get("email"))
    return _Profile(
        client_id=client.get("id"),
        contact_id=None,
        name=" ".join(sorted(tokens)),
        tokens=tokens,
        has_initial=any(len(token) == 1 for token in tokens),
        company_like=company_like,
        individual=kind == "individual" or (not kind and not company_like and bool(last)),
        first=" ".join(_fold(first)),
        last=" ".join(_fold(last)),
        emails=_present([email]),
        domains=_present([_business_domain(email)]),
        phones=_present([_phone(client.get("phone"))]),
        tax=_tax_number(client.get("tax_number")),
        number=_code(client.get("reference")),
        account=_code(client.get("account_number")),
        postcodes=_present([_postcode(client.get("postcode"))]),
        lines=tuple(_present([_street(client.get("address_line1"))])),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if type(value) is str else str(value).strip()


def _records(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, dict)]


def _present(values: Iterable[str]) -> frozenset[str]:
    return frozenset(value for value in values if value)


def _fold(text: Any) -> list[str]:
    """Lower-case word tokens without accents or punctuation; "&" reads as "and"."""
    text = _text(text)
    if not text:
        return []
    if text.isascii():
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
        text = _APOSTROPHES.sub("", text)
    if "." in text:
        text = _ABBREVIATION.sub(lambda found: found.group(0).replace(".", ""), text)
    text = text.replace("'", "").replace("`", "").replace("&", " and ")
    return _NOT_WORD.sub(" ", text).split()


def _name_tokens(text: Any) -> tuple[tuple[str, ...], bool]:
    """Return the name's significant tokens and whether it carried a legal suffix."""
    tokens = _fold(text)
    while len(tokens) > 1 and tokens[0] in _LEADING_WORDS:
        tokens = tokens[1:]
    core = _strip_legal_suffixes(tokens)
    if not core:  # a name made only of suffix words ("The Company Ltd") keeps them
        return tuple(tokens), False
    return tuple(core), any(token != "and" for token in tokens[len(core):])


def _strip_legal_suffixes(tokens: list[str]) -> list[str]:
    stripped = True
    while tokens and stripped:
        stripped = False
        for phrase in _LEGAL_PHRASES:
            if tuple(tokens[-len(phrase):]) == phrase:
                tokens, stripped = tokens[: -len(phrase)], True
        if tokens and tokens[-1] in _LEGAL_SUFFIXES:
            tokens, stripped = tokens[:-1], True
    return tokens


def _email(value: Any) -> str:
    email = _text(value).casefold()
    return email if "@" in email.strip("@") else ""


def _business_domain(email: str) -> str:
    """Return the email's domain, or "" for free-mail, which says nothing about who owns it."""
    domain = email.rpartition("@")[2]
    if not domain or domain in _FREE_MAIL_DOMAINS or domain.split(".")[0] in _FREE_MAIL_PROVIDERS:
        return ""
    return domain


def _xero_phone(phone: Mapping[str, Any]) -> str:
    country = _NOT_DIGIT.sub("", _text(phone.get("PhoneCountryCode")))
    area = _text(phone.get("PhoneAreaCode"))
    number = _text(phone.get("PhoneNumber"))
    if not number or number.startswith(("+", "00")):
        return _phone(number)
    if country:
        return _phone(f"+{country} {area} {number}")
    return _phone(f"{area} {number}")


def _phone(value: Any) -> str:
    """Return the national number's last digits: no country code, trunk 0 or punctuation."""
    text = _text(value)
    digits = _NOT_DIGIT.sub("", text)
    international = text.startswith("+") or digits.startswith("00")
    digits = digits.lstrip("0") if digits.startswith("00") else digits
    if international:
        for length in (1, 2, 3):
            if digits[:length] in _CALLING_CODES:
                digits = digits[length:]
                break
    digits = digits.lstrip("0")
    return digits[-_PHONE_TAIL:] if len(digits) >= _PHONE_MIN else ""


def _tax_number(value: Any) -> str:
    """Return the tax number's letters and digits, without a VAT country prefix such as GB."""
    return _TAX_COUNTRY_PREFIX.sub("", _NOT_ALNUM.sub("", _text(value)).upper())


def _code(value: Any) -> str:
    return _text(value).casefold()


def _postcode(value: Any) -> str:
    return _NOT_ALNUM.sub("", _text(value)).upper()


def _street(value: Any) -> str:
    return " ".join(_STREET_WORDS.get(token, token) for token in _fold(value))


# --- scoring one pair ----------------------------------------------------------------------


def _score(contact: _Profile, client: _Profile) -> Match:
    similarity, name_reason = _name_similarity(contact, client)
    if similarity is None:
        total = _NO_NAME
    else:
        total = _NAME_AT_100 - _NAME_SLOPE * (100 - similarity)
    reasons = [name_reason]

    if contact.number and contact.number == client.number:
        total += _REFERENCE
        reasons.append("reference = contact number")
    if contact.account and contact.account == client.account:
        total += _ACCOUNT_EQUAL
        reasons.append("account number exact")
    if contact.tax and client.tax:
        if contact.tax == client.tax:
            total += _TAX_EQUAL
            reasons.append("tax number exact")
        else:
            total += _TAX_DIFFERS
            reasons.append("tax number differs")
    if contact.emails and client.emails:
        if not contact.emails.isdisjoint(client.emails):
            total += _EMAIL_EQUAL
            reasons.append("email exact")
        elif not contact.domains.isdisjoint(client.domains):
            total += _EMAIL_DOMAIN
            reasons.append("email domain")
        else:
            total += _EMAIL_DIFFERS
            reasons.append("email differs")
    if contact.phones and client.phones:
        if not contact.phones.isdisjoint(client.phones):
            total += _PHONE_EQUAL
            reasons.append("phone exact")
        else:
            total += _PHONE_DIFFERS
            reasons.append("phone differs")
    if contact.postcodes and client.postcodes:
        if not contact.postcodes.isdisjoint(client.postcodes):
            total += _POSTCODE_EQUAL
            reasons.append("postcode exact")
        else:
            total += _POSTCODE_DIFFERS
            reasons.append("postcode differs")
    street = _street_similarity(contact.lines, client.lines) if client.lines else 0
    if street >= _LINE1_THRESHOLD:
        total += _LINE1_ALIKE
        reasons.append("address line 1 exact" if street == 100 else f"address line 1 {street}")

    return Match(score=round(100 / (1 + math.exp(-total))), reasons=reasons)


def _name_similarity(contact: _Profile, client: _Profile) -> tuple[int | None, str]:
    if not contact.name or not client.name:
        return None, "no name to compare"
    similarity = fuzz.ratio(contact.name, client.name)
    reason = "name"
    if (contact.has_initial or client.has_initial) and similarity < 100:
        expanded = _initials_similarity(contact.tokens, client.tokens) - _INITIALS_COST
        if expanded > similarity:
            similarity, reason = expanded, "name (initials)"
    if client.individual and client.last and contact.last and not contact.company_like:
        person = _person_similarity(contact, client)
        if person > similarity:
            similarity, reason = person, "first/last name"
    similarity = round(similarity)
    return similarity, f"{reason} {similarity}"


def _initials_similarity(ours: tuple[str, ...], theirs: tuple[str, ...]) -> float:
    """Compare names with each lone initial replaced by the other name's word it could stand for."""
    ours_expanded, theirs_expanded = _expand_initials(ours, theirs), _expand_initials(theirs, ours)
    return fuzz.ratio(" ".join(sorted(ours_expanded)), " ".join(sorted(theirs_expanded)))


def _expand_initials(tokens: tuple[str, ...], other: tuple[str, ...]) -> list[str]:
    unused = [word for word in other if len(word) > 1 and word not in tokens]
    expanded = []
    for token in tokens:
        word = next((word for word in unused if len(token) == 1 and word[0] == token), None)
        if word is None:
            expanded.append(token)
        else:
            unused.remove(word)
            expanded.append(word)
    return expanded


def _person_similarity(contact: _Profile, client: _Profile) -> float:
    last = fuzz.ratio(contact.last, client.last)
    if not contact.first or not client.first:
        return 0.8 * last
    if len(contact.first) == 1 or len(client.first) == 1:
        first = 100 - _INITIALS_COST if contact.first[0] == client.first[0] else 0
    else:
        first = fuzz.ratio(contact.first, client.first)
    return 0.6 * last + 0.4 * first


def _street_similarity(ours: tuple[str, ...], theirs: tuple[str, ...]) -> int:
    best = 0
    for line in ours:
        for other in theirs:
            best = max(best, round(fuzz.ratio(line, other)))
    return best


# --- finding candidates --------------------------------------------------------------------


def _name_neighbours(
    contacts: list[_Profile], clients: list[_Profile], count: int
) -> Iterator[set[int]]:
    """Yield, per contact, the indexes of the `count` clients with the most similar names."""
    # Distinct placeholders, so nameless records are nobody's neighbours rather than each other's.
    queries = [contact.name or "\x00" for contact in contacts]
    choices = [client.name or "\x01" for client in clients]
    count = min(count, len(choices))
    rows = max(1, _CHUNK_CELLS // len(choices))

    def similarities(start: int) -> np.ndarray:
        return process.cdist(
            queries[start:start + rows], choices, scorer=fuzz.ratio,
            score_cutoff=_NAME_CUTOFF, dtype=np.uint8, workers=-1,
        )

    # cdist releases the GIL, so the next rows are compared while the caller scores these.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(similarities, 0)
        for start in range(0, len(queries), rows):
            scores = pending.result()
            if start + rows < len(queries):
                pending = pool.submit(similarities, start + rows)
            yield from _top_columns(scores, count)


def _top_columns(scores: np.ndarray, count: int) -> list[set[int]]:
    """Return each row's `count` best non-zero columns; ties go to the lower column."""
    width = scores.shape[1]
    flat = scores.ravel()
    cells = np.flatnonzero(flat > 0)  # a flat bool scan is several times faster than 2-D
    rows, columns = np.divmod(cells, width)
    # Row first, then best score; a stable sort keeps the columns ascending within ties.
    order = np.argsort(rows * 256 + (255 - flat[cells].astype(np.int64)), kind="stable")
    rows, columns = rows[order], columns[order]
    starts = np.searchsorted(rows, np.arange(scores.shape[0]))
    ends = np.minimum(np.append(starts[1:], len(rows)), starts + count)
    return [set(columns[start:end].tolist()) for start, end in zip(starts, ends)]


def _best(contact: _Profile, candidates: set[int], clients: list[_Profile], limit: int
          ) -> list[tuple[int, int]]:
    """Return the best `limit` (client_id, score) pairs among the candidates, ties by id."""
    scored = []
    for index in candidates:
        score = _score(contact, clients[index]).score
        if score >= FLOOR:
            scored.append((-score, _id_order(clients[index].client_id), index))
    scored.sort()
    return [(clients[index].client_id, -negative) for negative, _, index in scored[:limit]]


class _KeyIndex:
    """Clients by each exact key that counts as evidence, for candidates names alone miss."""

    def __init__(self, clients: list[_Profile]) -> None:
        self.blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, client in enumerate(clients):
            for key in _keys(client):
                self.blocks[key].append(index)

    def candidates(self, contact: _Profile) -> set[int]:
        found: set[int] = set()
        for key in _keys(contact):
            block = self.blocks.get(key, ())
            if len(block) <= _BLOCK_MAX:
                found.update(block)
        return found


def _keys(profile: _Profile) -> list[tuple[str, str]]:
    keys = [("email", email) for email in profile.emails]
    keys += [("domain", domain) for domain in profile.domains]
    keys += [("phone", phone) for phone in profile.phones]
    keys += [("postcode", postcode) for postcode in profile.postcodes]
    if profile.tax:
        keys.append(("tax", profile.tax))
    if profile.number:
        keys.append(("number", profile.number))
    if profile.account:
        keys.append(("account", profile.account))
    return keys


def _contact_key(contact: _Profile, position: int) -> str:
    """Key a contact by its ContactID; one without (never from Xero itself) by its position."""
    return str(contact.contact_id) if contact.contact_id else f"#{position}"


def _id_order(client_id: Any) -> tuple[int, Any]:
    return (0, client_id) if isinstance(client_id, (int, float)) else (1, str(client_id))
