"""One side's records, contacts or clients, as arrays for comparing many pairs at once."""

from __future__ import annotations

from itertools import chain

import numpy as np

from .arrays import Slots, object_array
from .people import GUESSED, JOINT
from .records import Record


class Side:
    """Contacts or clients as arrays, each exact value interned to an int of a shared vocabulary."""

    def __init__(self, records: list[Record], vocabulary: dict[str, int], indexed: bool = False):
        """Build the arrays; `indexed` sides (the clients) list every person under their full
        name, their initial and surname, and their surname alone, so that a contact's person
        finds them by the most it knows."""
        self.size = len(records)
        self._vocabulary = vocabulary
        self._read_names(records)
        self._read_people(records)
        self.emails = self._interned("e", [record.emails for record in records])
        self.domains = self._interned("d", [record.domains for record in records])
        self.phones = self._interned("p", [record.phones for record in records])
        self.postcodes = self._interned("c", [record.postcodes for record in records])
        self.lines = Slots.of([record.lines for record in records])
        self.tax = self._single("t", [record.tax for record in records])
        self.number = self._single("n", [record.number for record in records])
        self.account = self._single("a", [record.account for record in records])
        named = self._interned("N", [[name for name, _ in record.names] for record in records])
        persons = self._interned("P", [[key for first, last, *_ in record.people
                                        for key in _person_keys(first, last, indexed)] for record in records])
        self.keys = _keys(self.size, self.emails, self.domains, self.phones, self.postcodes, named,
                          persons, self.tax, self.number, self.account)

    def _read_names(self, records: list[Record]) -> None:
        self.names = Slots.of([[name for name, _ in record.names] for record in records])
        self.name_kinds = np.fromiter((kind for record in records for _, kind in record.names),
                                      np.int8, len(self.names.values))
        self.name_sizes = np.fromiter((name.count(" ") + 1 for name in self.names.values), np.int64,
                                      len(self.names.values))
        self.company = np.fromiter((record.company for record in records), bool, self.size)
        self.person = np.fromiter((record.person for record in records), bool, self.size)
        self.tokens = [record.tokens for record in records]
        # The letters the name's initials stand for, and those its words start with, one bit
        # each: an initial can only be a word of the other name that starts with it.
        self.initial_letters = np.fromiter((_letters(record.tokens, 1) for record in records),
                                           np.int64, self.size)
        self.word_letters = np.fromiter((_letters(record.tokens, 2) for record in records),
                                        np.int64, self.size)

    def _read_people(self, records: list[Record]) -> None:
        everyone = [record.people for record in records]
        self.people = Slots.of(everyone, np.arange(sum(map(len, everyone))))
        people = list(chain.from_iterable(everyone))
        self.firsts = object_array([person.first for person in people])
        self.lasts = object_array([person.last for person in people])
        self.first_lengths = np.fromiter(map(len, self.firsts), np.int64, len(people))
        self.initials = np.fromiter((ord(first[0]) if first else 0 for first in self.firsts),
                                    np.int64, len(people))
        self.sources = np.fromiter((person.source for person in people), np.int8, len(people))
        self.itself = np.fromiter((person.itself for person in people), bool, len(people))
        # Whole names of people known to be people, for finding them in a business name.
        self.full_names = object_array([
            f"{first} {last}" if len(first) > 1 and source not in (GUESSED, JOINT) else ""
            for first, last, source, _ in people])
        self.full_sizes = np.fromiter((name.count(" ") + 1 if name else 0 for name in self.full_names),
                                      np.int64, len(people))

    def _interned(self, prefix: str, lists: list[list[str]]) -> Slots:
        """Return the values as slots of their ids (`prefix` keeps fields apart in the vocabulary)."""
        vocabulary = self._vocabulary
        flat = [vocabulary.setdefault(prefix + value, len(vocabulary)) for value in chain.from_iterable(lists)]
        return Slots.of(lists, np.array(flat, np.int64))

    def _single(self, prefix: str, values: list[str]) -> np.ndarray:
        """Return each value's id, -1 where it is empty."""
        vocabulary = self._vocabulary
        return np.array([vocabulary.setdefault(prefix + value, len(vocabulary)) if value else -1
                         for value in values], np.int64)


def _keys(size: int, *fields: Slots | np.ndarray) -> Slots:
    """Return each record's exact keys, the ones that make a client a candidate whatever its
    name is like: every value of the given fields (ids from one vocabulary, so never equal
    across fields)."""
    owners, values = [], []
    for found in fields:
        if isinstance(found, Slots):
            owners.append(found.owners())
            values.append(found.values)
        else:
            owners.append(np.flatnonzero(found >= 0))
            values.append(found[found >= 0])
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    return Slots(np.bincount(owner, minlength=size), np.concatenate(values)[order])


def _letters(tokens: tuple[str, ...], length: int) -> int:
    """Return the first letters of the tokens of `length` (1: initials) or more (2: words) as
    bits, a to z and one for anything else."""
    bits = 0
    for token in tokens:
        if (len(token) == 1) == (length == 1):
            bits |= 1 << min(max(ord(token[0]) - 97, 0), 26)
    return bits


def _person_keys(first: str, last: str, indexed: bool) -> list[str]:
    """Return the keys a person is found by: all of them when indexed, else the most precise."""
    keys = [f"{first} {last}"] if len(first) > 1 else []
    keys += [f"{first[0]} {last}"] if first and (indexed or not keys) else []
    return keys + [f"- {last}"] if indexed or not first else keys
