"""The people a contact or client names: its own first and last name, contact persons, "J Smith", "Mr & Mrs Patel"."""

from __future__ import annotations

import re
from typing import Any, Mapping, NamedTuple

from rapidfuzz import fuzz

from .fields import entries
from .names import TITLES
from .text import fold, folded

# Where a person was read from.
OWN, FIRST_LAST, CONTACT_PERSON, OWNER, JOINT, GUESSED = range(6)

_FIRST_NAMES_JOINED = re.compile(r"\s*(?:&|\band\b|\+)\s*")  # "Anil & Bina"
_SAME_AS_NAME = 85  # a first and last name this alike to the name add nothing to it


class Person(NamedTuple):
    """A person's folded first name ("" if unknown) and surname, where they were read from, and
    whether they are the record itself rather than someone behind it."""

    first: str
    last: str
    source: int
    itself: bool


def contact_people(contact: Mapping[str, Any], name: str, variants: list[tuple[str, int]],
                   company: bool) -> tuple[list[Person], bool]:
    """Return the people a Xero contact names, and whether the contact is plainly a person."""
    if company:  # a company's (Ltd's) contact person is not its owner
        return [], False
    people = people_in_name(name)
    person = bool(people) and _plainly_a_person(name)
    first, last = folded(contact.get("FirstName")), folded(contact.get("LastName"))
    if last:
        itself = not variants or fuzz.ratio(" ".join(sorted(f"{first} {last}".split())),
                                            variants[0][0]) >= _SAME_AS_NAME
        if itself:
            people = []  # the name says no more than the first and last name do
        person = person or itself
        people.append(Person(first, last, FIRST_LAST, itself))
    if not people:  # "Sophie Edwards" with no first and last name given
        people = people_in_name(name, individual=True, source=GUESSED)
    for entry in entries(contact.get("ContactPersons")):
        someone = Person(folded(entry.get("FirstName")), folded(entry.get("LastName")), CONTACT_PERSON, False)
        if someone.last:
            people.append(someone)
    return people, person


def client_people(first: str, last: str, name: str, individual: bool, company: bool) -> list[Person]:
    """Return the people a practice client names: its first and last name, or else its name."""
    if last and (individual or not company):
        firsts = [part for part in _FIRST_NAMES_JOINED.split(first) if part] or [""]
        source = OWN if individual else OWNER
        source = JOINT if len(firsts) > 1 and individual else source
        return [Person(folded(given), folded(last), source, individual) for given in firsts]
    if individual or not company:
        return people_in_name(name, individual)
    return []


def people_in_name(name: str, individual: bool = False, source: int = OWN) -> list[Person]:
    """Return the people a name plainly names: "J Smith", "Mr John Smith", "Smith, John",
    "Mr & Mrs Patel", "A and B Patel"; any two-word name too when the record is a person."""
    surname, comma, given = name.partition(",")
    if comma and not any(marker in given for marker in ("Ltd", "Limited")):
        tokens = fold(f"{given} {surname}")
    else:
        tokens = fold(name)
    if not tokens:
        return []
    if "and" in tokens:
        return _joint_people(tokens)
    plain = [token for token in tokens if token not in TITLES]
    titled = len(plain) < len(tokens)
    initial = any(len(token) == 1 for token in plain)
    if not 2 <= len(plain) <= 3 or not (titled or initial or comma or individual):
        return []
    if len(plain[-1]) == 1 and len(plain[0]) > 1:  # "Smith J"
        return [Person(plain[-1], plain[0], source, True)]
    return [Person(plain[0], plain[-1], source, True)]


def _plainly_a_person(name: str) -> bool:
    """Return whether a name is a person's or a couple's beyond doubt: a title, an initial, or
    "Surname, First" ("Anil & Bina Patel" could be a firm)."""
    return "," in name or any(token in TITLES or len(token) == 1 for token in fold(name))


def _joint_people(tokens: list[str]) -> list[Person]:
    """Return the couple in "Mr & Mrs Patel", "Anil & Bina Patel", "A Patel and B Shah"."""
    groups, group = [], []
    for token in tokens + ["and"]:
        if token == "and":
            groups.append([word for word in group if word not in TITLES])
            group = []
        else:
            group.append(token)
    titled = len(tokens) - tokens.count("and") > sum(map(len, groups))
    if len(groups) != 2 or not groups[-1] or len(groups[-1]) > 3 or len(groups[0]) > 3:
        return []
    if not titled and (len(groups[-1]) < 2 or len(groups[0]) > 2):
        return []  # "Smith and Jones" is a firm, not a couple
    surname = groups[-1][-1]
    people = []
    for words in groups:
        if words and words[-1] != surname and len(words) == 2:
            people.append(Person(words[0], words[-1], JOINT, True))  # "Anil Patel and Bina Shah"
        else:
            first = words[0] if words and words[0] != surname else ""
            people.append(Person(first, surname, JOINT, True))
    return people
