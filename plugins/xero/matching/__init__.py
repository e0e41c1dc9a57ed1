"""Rank practice clients for each unlinked Xero contact, with a percentage score and reasons.

Pure functions: no Flask, no database, no I/O. Xero contacts are the Accounting API's Contact
JSON objects; clients are dicts with the Client model's field names. Any field may be missing,
None or empty.

How a pair is scored (a Fellegi-Sunter style sum of log-odds, turned into a percentage):

- Names. Case, accents, punctuation, "&"/"and", legal suffixes (even "Limtied"), titles and
  word order do not matter, and a name is split where it says "t/a", "trading as" or
  "formerly", so a trading or former name is compared as a name of its own. People are read
  from Xero's FirstName/LastName and ContactPersons, the client's first and last name, and
  names such as "J Smith", "Smith, John", "Mr & Mrs Patel" or "A and B Patel", and compared
  surname first; a person's whole name inside a business name ("Priya Shah Dental") counts
  too, so a sole trader kept as the person on one side and the business on the other meets.
  A company's (Ltd's) contact person is not its owner and counts for nothing. The best
  similarity ``n`` of all these gives ``1.52 - 0.068 * (100 - n)`` down to n=90: an identical
  name with nothing else known scores 82. Below 90 it falls fast to -7, because two different
  businesses often share words ("Matthews & Holmes Partnership"), unless the pair shares a key
  only one client would have (email, phone, tax number, account number, reference, business
  email domain, street address): then a renamed business is likely and the name counts at
  least -0.5. A company and a person are never one client renamed. A person matched through
  a business's owner or contact costs 8 points, by surname alone 20, by an initial 5. First
  names agree when alike, when one starts the other ("Chris", "Christopher") or when one is a
  short form of the other in the nicknames package's table ("Dave", "David"). The same
  surname with a different first name (a family at one address) gives -8 whatever else the
  two share.
- Evidence adds: Xero ContactNumber equal to the client reference +4.0, tax number equal
  +3.0, email equal +2.5, account number equal +2.0, phone equal (digits, country code and
  trunk 0 stripped) +1.8, same email domain (not free-mail) +0.8, postcode equal +0.8,
  address line 1 alike (and no other house number) +0.7.
- Contradictions subtract: two different tax numbers -3.0 (strong), different postcodes -0.4,
  different emails or phones -0.2 each (people keep several, so weak).
- A pair's own score is ``round(100 * sigmoid(total))``; explain() returns it.

suggest() lists every candidate whose own score is at least FLOOR and then shares the
certainty among a contact's candidates: each one's score is its odds over one plus the odds
of all of them (``o / (1 + sum(o))``), its chance of being the one if at most one is. A
candidate alone keeps its own score; two equally good ones show about half each, so two
namesakes at one address never both show 95%, and a runner-up far behind shows 1%.

suggest() finds candidates cheaply before scoring them: name similarity for all pairs comes
from rapidfuzz's cdist in row chunks (uint8, with a score cutoff), the best few per contact
are kept and joined with clients sharing an exact key (email, phone, tax number, reference,
account number, email domain, postcode, a name, a person's full name); those pairs are scored
together, a chunk at a time, with numpy arrays rather than one pair at a time.
"""

from __future__ import annotations

from functools import cache
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

import numpy as np
from nicknames import NickNamer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Prefix

from .arrays import best, cross, shared, similarity, threads
from .candidates import candidates
from .names import normalise_name
from .people import CONTACT_PERSON, FIRST_LAST, JOINT, OWNER
from .records import Record, client_record, contact_record
from .sides import Side

FLOOR = 30
"""Candidates whose own score is below this are not worth showing."""

_NAME_AT_100 = 1.52
_NAME_SLOPE = 0.068
_NAME_KNEE = 90
_NAME_STEEP = 0.6
_NAME_FLOOR = -7.0
_RENAMED_FLOOR = -0.5
_NAME_CONFLICT = -8.0
_NO_NAME = -1.5
_INITIALS_COST = 5
_OWNER_COST = 8
_SURNAME_ONLY_COST = 20
_SAME_FIRST = 80  # first names at least this alike are one name typed twice
_SAME_SURNAME = 90
_SHORT_FORM = 90  # how alike "Chris" and "Christopher", or "Dave" and "David", count

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

_SHARED_SHOWN = 10  # a score this much below the pair's own says why: other candidates

_NAME_NEIGHBOURS_MIN = 10  # clients with the most alike names kept per contact, at the least
_CHUNK_CELLS = 4_000_000  # name comparisons held at once (a byte each): memory stays flat

# The reason shown for the name evidence, by what matched.
_NAME, _TRADING_NAME, _FORMER_NAME, _INITIALS, _FIRST_LAST_NAME, _CONTACT_PERSON_NAME, \
    _OWNER_NAME, _JOINT_NAME, _NO_NAME_LABEL = range(9)
_NAME_LABELS = ("name", "trading name", "former name", "name (initials)", "first/last name",
                "contact person", "owner name", "joint name", "no name to compare")


@dataclass(frozen=True, slots=True)
class Match:
    """How well one Xero contact matches one client, and the evidence shown to the user."""

    score: int
    reasons: list[str]


class Suggestion(NamedTuple):
    """A client suggested for a Xero contact: its score among the candidates, and why."""

    client_id: Any
    score: int
    reasons: list[str]


def suggest(
    xero_contacts: Iterable[Mapping[str, Any]],
    clients: Iterable[Mapping[str, Any]],
    limit: int = 5,
) -> dict[str, list[Suggestion]]:
    """Return {ContactID: [Suggestion, ...]} with the best `limit` clients first."""
    vocabulary: dict[str, int] = {}
    client_records = [client_record(client) for client in clients]
    # In id order, so that clients tied on name enter the shortlist by id as they leave it.
    client_records = sorted((record for record in client_records if record.key is not None),
                            key=lambda record: _id_order(record.key))
    contact_records = [contact_record(contact) for contact in xero_contacts]
    keys = [_contact_key(record, position) for position, record in enumerate(contact_records)]
    suggestions: dict[str, list[Suggestion]] = {key: [] for key in keys}
    if limit <= 0 or not contact_records or not client_records:
        return suggestions

    clients_side = Side(client_records, vocabulary, indexed=True)
    contacts_side = Side(contact_records, vocabulary)
    neighbours = max(2 * limit, _NAME_NEIGHBOURS_MIN)
    for rows, columns in candidates(contacts_side, clients_side, neighbours, _CHUNK_CELLS):
        evidence = _Evidence(contacts_side, rows, clients_side, columns)
        for row, ranked in _ranked(rows, columns, evidence, limit):
            suggestions[keys[row]] = [Suggestion(client_records[column].key, score, reasons)
                                      for column, score, reasons in ranked]
    return suggestions


def explain(xero_contact: Mapping[str, Any], client: Mapping[str, Any]) -> Match:
    """Return this pair's own score, before other candidates share it, and the reasons behind it."""
    vocabulary: dict[str, int] = {}
    pair = np.zeros(1, np.int64)
    evidence = _Evidence(Side([contact_record(xero_contact)], vocabulary), pair,
                         Side([client_record(client)], vocabulary), pair)
    return Match(score=int(_percent(evidence.total())[0]), reasons=evidence.reasons(0))


# --- evidence: what each pair of records has in common ---------------------------------------


class _Evidence:
    """What contacts[rows[i]] and clients[columns[i]] have in common, for every i at once."""

    def __init__(self, contacts: Side, rows: np.ndarray, clients: Side, columns: np.ndarray):
        self.size = size = len(rows)
        self.name, self.label = self._names(contacts, rows, clients, columns)
        self.conflict = np.zeros(size, bool)
        self._people(contacts, rows, clients, columns)
        self._owner_in_name(contacts, rows, clients, columns)
        self._owner_in_name(clients, columns, contacts, rows)
        self.apart = ((contacts.company[rows] & clients.person[columns])
                      | (contacts.person[rows] & clients.company[columns]))
        self.reference = (contacts.number[rows] >= 0) & (contacts.number[rows] == clients.number[columns])
        self.account = (contacts.account[rows] >= 0) & (contacts.account[rows] == clients.account[columns])
        both_tax = (contacts.tax[rows] >= 0) & (clients.tax[columns] >= 0)
        self.tax_equal = both_tax & (contacts.tax[rows] == clients.tax[columns])
        self.tax_differs = both_tax & ~self.tax_equal
        self.email_equal, emails = shared(contacts.emails, rows, clients.emails, columns)
        domain, _ = shared(contacts.domains, rows, clients.domains, columns)
        self.email_domain = emails & ~self.email_equal & domain
        self.email_differs = emails & ~self.email_equal & ~domain
        self.phone_equal, phones = shared(contacts.phones, rows, clients.phones, columns)
        self.phone_differs = phones & ~self.phone_equal
        self.postcode_equal, postcodes = shared(contacts.postcodes, rows, clients.postcodes, columns)
        self.postcode_differs = postcodes & ~self.postcode_equal
        self.street = _streets(contacts, rows, clients, columns)

    def _names(self, contacts: Side, rows: np.ndarray, clients: Side, columns: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Return the best similarity of the two names, trading and former names included."""
        pair, mine, yours = cross(contacts.names, rows, clients.names, columns)
        scores = similarity(contacts.names.values[mine], clients.names.values[yours])
        top, which = best(self.size, pair, scores)
        label = np.full(self.size, _NO_NAME_LABEL, np.int8)
        named = np.flatnonzero(top >= 0)
        label[named] = np.maximum(contacts.name_kinds[mine[which[named]]],
                                  clients.name_kinds[yours[which[named]]])
        expandable = ((contacts.initial_letters[rows] & clients.word_letters[columns])
                      | (clients.initial_letters[columns] & contacts.word_letters[rows]))
        initials = np.flatnonzero((top >= 0) & (top < 100) & (expandable != 0))
        for index in initials.tolist():
            expanded = _initials_similarity(contacts.tokens[rows[index]],
                                            clients.tokens[columns[index]]) - _INITIALS_COST
            if expanded > top[index]:
                top[index], label[index] = expanded, _INITIALS
        return top, label

    def _people(self, contacts: Side, rows: np.ndarray, clients: Side, columns: np.ndarray) -> None:
        """Compare the people each side names; a better match than the names replaces them."""
        pair, mine, yours = cross(contacts.people, rows, clients.people, columns)
        if not len(pair):
            return
        surname = similarity(contacts.lasts[mine], clients.lasts[yours])
        lengths = np.stack([contacts.first_lengths[mine], clients.first_lengths[yours]])
        known = lengths.min(axis=0) > 0
        initial = known & (lengths.min(axis=0) == 1)
        full = np.flatnonzero(known & ~initial)
        first = np.zeros(len(pair), np.float32)
        short_form = np.zeros(len(pair), bool)
        if len(full):
            ours, theirs = contacts.firsts[mine[full]], clients.firsts[yours[full]]
            first[full] = similarity(ours, theirs)
            common = process.cpdist(ours, theirs, scorer=Prefix.similarity, workers=threads(len(ours)))
            short_form[full] = (common >= 3) & (common == lengths[:, full].min(axis=0))
        same_initial = contacts.initials[mine] == clients.initials[yours]
        # "Dave" and "David", "Bob" and "Robert": a short form is the same first name.
        unlike = full[(first[full] < _SAME_FIRST) & ~short_form[full] & (surname[full] >= _SAME_SURNAME)]
        for index in unlike.tolist():
            short_form[index] = not _first_names(contacts.firsts[mine[index]]).isdisjoint(
                _first_names(clients.firsts[yours[index]]))
        alike = (first >= _SAME_FIRST) | short_form | (initial & same_initial)
        score = np.where(~known, surname - _SURNAME_ONLY_COST, np.where(
            initial, surname - _INITIALS_COST,
            0.6 * surname + 0.4 * np.where(short_form, np.maximum(first, _SHORT_FORM), first)))
        itself = contacts.itself[mine] & clients.itself[yours]
        score = score - np.where(itself, 0, _OWNER_COST)
        # Couple against couple is the names compared as names; "Smith & Jones Plumbing" reads
        # as a couple too, and two such firms are not the same people.
        couples = (contacts.sources[mine] == JOINT) & (clients.sources[yours] == JOINT)
        top, which = best(self.size, pair, np.where((~known | alike) & ~couples, score, -1))
        better = top > self.name
        self.name = np.where(better, top, self.name)
        self.label = np.where(better, _person_label(
            contacts.sources[mine[which]], clients.sources[yours[which]], initial[which]), self.label)
        same_surname = itself & known & ~couples & (surname >= _SAME_SURNAME)
        differ = np.zeros(self.size, bool)
        differ[pair[same_surname & ~alike]] = True
        agree = np.zeros(self.size, bool)
        agree[pair[same_surname & alike]] = True
        self.conflict = differ & ~agree & (self.name < 100)

    def _owner_in_name(self, people: Side, ours: np.ndarray, names: Side, theirs: np.ndarray) -> None:
        """Find a person's whole name in the other side's business name ("Priya Shah" in
        "Priya Shah Dental"); a company's name is not its director."""
        open_pairs = np.flatnonzero((self.name < 100 - _OWNER_COST) & ~names.company[theirs])
        pair, mine, yours = cross(people.people, ours[open_pairs], names.names, theirs[open_pairs])
        fits = np.flatnonzero((people.full_sizes[mine] > 0)
                              & (names.name_sizes[yours] >= people.full_sizes[mine]))
        if not len(fits):
            return
        within = process.cpdist(people.full_names[mine[fits]], names.names.values[yours[fits]],
                                scorer=fuzz.token_set_ratio, workers=threads(len(fits))) == 100
        found = open_pairs[np.unique(pair[fits[within]])]
        self.name[found] = 100 - _OWNER_COST
        self.label[found] = _OWNER_NAME

    def total(self) -> np.ndarray:
        """Return each pair's log-odds of being a match."""
        name = self.name
        slope = _NAME_AT_100 - _NAME_SLOPE * (100 - name)
        steep = _NAME_AT_100 - _NAME_SLOPE * (100 - _NAME_KNEE) - _NAME_STEEP * (_NAME_KNEE - name)
        # A name unlike the other is no match, unless a key they share says it was renamed
        # (a company and a person are never one client renamed).
        floor = np.where(self._keyed() & ~self.apart, _RENAMED_FLOOR, _NAME_FLOOR)
        total = np.where(name >= _NAME_KNEE, slope, np.maximum(steep, floor))
        total = np.where(self.conflict, _NAME_CONFLICT, total)
        total = np.where(name < 0, _NO_NAME, total)
        for flags, weight in self._weights():
            total = total + np.where(flags, weight, 0.0)
        return total + np.where(self.street >= _LINE1_THRESHOLD, _LINE1_ALIKE, 0.0)

    def _keyed(self) -> np.ndarray:
        """Return whether the pair shares a key that only the same client would have."""
        return (self.reference | self.account | self.tax_equal | self.email_equal
                | self.email_domain | self.phone_equal
                | (self.postcode_equal & (self.street >= _LINE1_THRESHOLD)))

    def _weights(self) -> list[tuple[np.ndarray, float]]:
        return [(self.reference, _REFERENCE), (self.account, _ACCOUNT_EQUAL),
                (self.tax_equal, _TAX_EQUAL), (self.tax_differs, _TAX_DIFFERS),
                (self.email_equal, _EMAIL_EQUAL), (self.email_domain, _EMAIL_DOMAIN),
                (self.email_differs, _EMAIL_DIFFERS), (self.phone_equal, _PHONE_EQUAL),
                (self.phone_differs, _PHONE_DIFFERS), (self.postcode_equal, _POSTCODE_EQUAL),
                (self.postcode_differs, _POSTCODE_DIFFERS)]

    def reasons(self, index: int) -> list[str]:
        """Return what pair `index` has in common and where it differs, as shown to the user."""
        label = int(self.label[index])
        reasons = [_NAME_LABELS[label] if label == _NO_NAME_LABEL
                   else f"{_NAME_LABELS[label]} {round(float(self.name[index]))}"]
        if self.conflict[index]:
            reasons.append("first name differs")
        flags = [(self.reference, "reference = contact number"),
                 (self.account, "account number exact"), (self.tax_equal, "tax number exact"),
                 (self.tax_differs, "tax number differs"), (self.email_equal, "email exact"),
                 (self.email_domain, "email domain"), (self.email_differs, "email differs"),
                 (self.phone_equal, "phone exact"), (self.phone_differs, "phone differs"),
                 (self.postcode_equal, "postcode exact"), (self.postcode_differs, "postcode differs")]
        reasons += [reason for flag, reason in flags if flag[index]]
        street = int(self.street[index])
        if street >= _LINE1_THRESHOLD:
            reasons.append("address line 1 exact" if street == 100 else f"address line 1 {street}")
        return reasons


def _streets(contacts: Side, rows: np.ndarray, clients: Side, columns: np.ndarray) -> np.ndarray:
    """Return how alike each pair's address line 1 is, 0 where the house numbers differ
    ("120 Windsor Place" is not "42 Windsor Place", however alike the words)."""
    pair, mine, yours = cross(contacts.lines, rows, clients.lines, columns)
    ours, theirs = contacts.lines.values[mine], clients.lines.values[yours]
    scores = similarity(ours, theirs)
    for index in np.flatnonzero(scores >= _LINE1_THRESHOLD).tolist():
        numbers = _house_numbers(ours[index]), _house_numbers(theirs[index])
        if all(numbers) and numbers[0].isdisjoint(numbers[1]):
            scores[index] = 0
    street, _ = best(len(rows), pair, scores)
    return np.where(street >= 0, np.round(street), 0).astype(np.int64)


def _house_numbers(line: str) -> frozenset[str]:
    return frozenset(word for word in line.split() if word.isdigit())


def _person_label(ours: np.ndarray, theirs: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """Return the name reason for a person match, by where each side's person was read from."""
    return np.select(
        [(ours == JOINT) | (theirs == JOINT), ours == CONTACT_PERSON, ours == FIRST_LAST,
         theirs == OWNER, initial],
        [_JOINT_NAME, _CONTACT_PERSON_NAME, _FIRST_LAST_NAME, _OWNER_NAME, _INITIALS],
        _NAME).astype(np.int8)


@cache
def _first_names(first: str) -> frozenset[str]:
    """Return a first name with its short forms and the names it is short for."""
    namer = _nicknamer()
    return frozenset({first}) | namer.canonicals_of(first) | namer.nicknames_of(first)


@cache
def _nicknamer() -> NickNamer:
    """The nicknames package's table of English first names and short forms, read once."""
    return NickNamer()


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


def _percent(total: np.ndarray) -> np.ndarray:
    return np.round(100 / (1 + np.exp(-total))).astype(np.int64)


# --- ranking: sharing the certainty among a contact's candidates -----------------------------


def _ranked(rows: np.ndarray, columns: np.ndarray, evidence: _Evidence, limit: int
            ) -> Iterator[tuple[int, list[tuple[int, int, list[str]]]]]:
    """Yield each row's best `limit` (column, score, reasons), ties by column (client id)."""
    if not len(rows):
        return
    total = evidence.total()
    own = _percent(total)
    odds = np.exp(np.minimum(total, 30))
    first = np.r_[True, rows[1:] != rows[:-1]]  # rows come sorted
    group, starts = np.cumsum(first) - 1, np.flatnonzero(first)
    share = 100 * odds / (1 + np.add.reduceat(odds, starts)[group])
    score = np.maximum(np.round(share), 1).astype(np.int64)  # listed, so never shown as 0%
    strongest = np.maximum.reduceat(odds, starts)[group]
    kept = np.flatnonzero(own >= FLOOR)
    order = kept[np.lexsort((columns[kept], -score[kept], rows[kept]))]
    leading = np.r_[True, rows[order][1:] != rows[order][:-1]]
    rank = np.arange(len(order)) - np.maximum.accumulate(np.where(leading, np.arange(len(order)), 0))
    ranked: dict[int, list[tuple[int, int, list[str]]]] = {}
    for index in order[rank < limit].tolist():
        reasons = evidence.reasons(index)
        if own[index] - score[index] >= _SHARED_SHOWN:  # say why the score is below its own
            reasons.append("another client matches better" if strongest[index] > odds[index]
                           else "other clients match as well")
        ranked.setdefault(int(rows[index]), []).append((int(columns[index]), int(score[index]), reasons))
    yield from ranked.items()


def _contact_key(contact: Record, position: int) -> str:
    """Key a contact by its ContactID; one without (never from Xero itself) by its position."""
    return str(contact.key) if contact.key else f"#{position}"


def _id_order(client_id: Any) -> tuple[int, Any]:
    return (0, client_id) if isinstance(client_id, (int, float)) else (1, str(client_id))
