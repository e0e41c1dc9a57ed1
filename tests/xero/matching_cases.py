"""Practice books for measuring Xero matching, built like real practices' books.

``book("dev")`` and ``book("held-out")`` return practice clients and unlinked Xero contacts,
each contact labelled with its true client (or none) and the kind of case it is. The practice
and the bookkeeper typed each record separately, so the two sides differ the way real ones do:
legal suffixes, typos, accents, trading and owner names, renames, phone and address formats,
missing fields. Each split has its own seed, so it is the same on every run: tune the matcher
on "dev" and only measure on "held-out".
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

SPLITS = {"dev": 16_001, "held-out": 16_002}

KINDS = {
    "alike": "names alike (suffixes, punctuation, accents, typos, word order, formats)",
    "trading": "trading names",
    "owner": "owner names",
    "renamed": "renamed businesses",
    "namesake": "same name, different people",
    "joint": "joint names",
    "undecidable": "same name, nothing else decides",
    "none": "no counterpart",
}
"""Each kind of case, as the bench's table names it."""

CASES = {"alike": 600, "trading": 300, "owner": 300, "renamed": 300, "namesake": 300,
         "joint": 200, "undecidable": 100, "none": 400}
BACKGROUND = 1500  # practice clients with no Xero counterpart

# --- word pools --------------------------------------------------------------------------

SURNAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb "
    "Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes "
    "Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham "
    "Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders "
    "Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson "
    "Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes "
    "Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods "
    "Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed "
    "Kennedy Williamson Bird Gardner Shah Dodd Winter Kemp Nicholson O'Neill McCarthy "
    "MacDonald McKenzie Doherty Gallagher Nowak Kowalski Wiśniewski Müller Nguyen Chen Wong "
    "Okafor Adeyemi Mensah Mistry Chauhan Sharma Joshi Iqbal Rahman Chowdhury Malik Sandhu "
    "Whitfield Llewellyn Pritchard Vaughan Heywood Ashworth Fairbrother Blackwood Thornton"
).split()
FIRST_NAMES = (
    "Oliver George Harry Jack Jacob Noah Charlie Thomas Oscar William James Henry Leo Alfie "
    "Joshua Freddie Archie Arthur Logan Alexander Daniel David Michael Peter Paul Andrew Mark "
    "Richard Robert Stephen Simon Christopher Matthew Anthony Ian Gareth Rhys Dylan Owain "
    "Callum Ewan Fraser Ciarán Seán Eoin Mohammed Ahmed Omar Yusuf Imran Raj Anil Sanjay Vikram "
    "Arjun Ravi Tomasz Piotr Łukasz Kwame Chidi Wei "
    "Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Isabella Sophie Ruby "
    "Chloë Zoë Jessica Hannah Charlotte Emma Sarah Rachel Laura Rebecca Helen Claire Karen "
    "Susan Julie Alison Jane Joanne Nicola Kirsty Siân Ffion Catrin Mairi Niamh Aoife Róisín "
    "Aisha Fatima Zara Amina Priya Anita Sunita Meera Bina Neha Agnieszka Kasia Ngozi Mei Renée"
).split()
TITLES = {"m": ("Mr", "Mr", "Mr", "Dr"), "f": ("Mrs", "Ms", "Miss", "Mrs", "Dr")}
SHORT_FORMS = {  # what people call themselves when someone else typed their full name
    "David": ("Dave",), "Michael": ("Mike", "Mick"), "Robert": ("Rob", "Bob"),
    "Stephen": ("Steve",), "Christopher": ("Chris",), "Thomas": ("Tom",),
    "William": ("Will", "Bill"), "James": ("Jim", "Jamie"), "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",), "Anthony": ("Tony",), "Alexander": ("Alex",), "Andrew": ("Andy",),
    "Peter": ("Pete",), "Richard": ("Rich", "Ricky"), "Joshua": ("Josh",), "Oliver": ("Ollie",),
    "Henry": ("Harry",), "Rebecca": ("Becky",), "Jessica": ("Jess",),
    "Charlotte": ("Lottie", "Charlie"), "Nicola": ("Nicky",), "Joanne": ("Jo",),
    "Alison": ("Ali",), "Susan": ("Sue",), "Isabella": ("Bella", "Izzy"), "Olivia": ("Liv",),
    "Amelia": ("Millie",),
}
TRADES = (
    "Plumbing", "Heating", "Plumbing & Heating", "Electrical", "Electrical Services", "Builders",
    "Building Services", "Joinery", "Carpentry", "Roofing", "Landscapes", "Gardening",
    "Bakery", "Café", "Coffee House", "Deli", "Catering", "Kitchen", "Tea Rooms", "Consulting",
    "Consultancy", "Design", "Studio", "Media", "Digital", "Marketing", "Property", "Lettings",
    "Estates", "Motors", "Garage", "Autos", "Engineering", "Logistics", "Haulage", "Cleaning",
    "Cleaning Services", "Dental", "Pharmacy", "Vets", "Physiotherapy", "Hair", "Barbers",
    "Salon", "Beauty", "Florist", "Brewery", "Farm", "Dairy", "Transport", "Removals",
    "Storage", "Printing", "Signs", "Software", "IT Services", "Tutoring", "Childcare",
    "Nursery", "Photography", "Decorating", "Flooring", "Windows", "Glazing", "Fitness",
    "Yoga", "Dog Grooming", "Tiling", "Locksmiths", "Accountancy", "Architects", "Surveyors",
)
PLACES = (
    "Harbour Quayside Riverside Hillside Meadow Orchard Castle Abbey Parkside Greenway Oakwood "
    "Ashgrove Elmfield Willow Beech Cedar Kingsway Victoria Albion Avalon Summit Crown Anchor "
    "Lighthouse Moorland Fenland Cotswold Pennine Mendip Severn Thames Tyne Wessex Mercia "
    "Northgate Southgate Eastgate Westgate Millbrook Ashford Elmstead Brookside Fairview "
    "Highfield Greenacre Stonebridge Station Market Chapel Foxhill Larkspur Heathfield"
).split()
ADJECTIVES = ("Bright Golden Silver Blue Red Green Little Happy Urban Coastal Rural Modern "
              "Classic Royal Swift Smart Clear Fresh Pure Wild Old New Black White").split()
NOUNS = ("Spark Leaf Acorn Fox Owl Hare Wren Robin Kite Bee Oak Stone Bridge Gate Mill Forge "
         "Anvil Compass Lantern Pebble Lion Swan Plough Hound Stag Bell Kettle Thistle").split()
STREETS = ("High Church Station Mill Park Victoria King Queen London Bridge Market School "
           "Manor Green York George North South West Chapel Albert Elm Oak Beech Cedar Orchard "
           "Meadow Springfield Grange Windsor Richmond Highfield Westfield Brook").split()
STREET_TYPES = ("Street", "Road", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Gardens",
                "Crescent", "Place", "Terrace", "Grove")
STREET_SHORT = {"Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln", "Close": "Cl",
                "Drive": "Dr", "Crescent": "Cres", "Place": "Pl", "Terrace": "Tce"}
TOWNS = (  # town, postcode area, districts, landline area code
    ("Bristol", "BS", 41, "0117"), ("Manchester", "M", 40, "0161"),
    ("Leeds", "LS", 29, "0113"), ("Sheffield", "S", 36, "0114"), ("London", "SW", 20, "020"),
    ("London", "N", 22, "020"), ("London", "E", 18, "020"), ("Birmingham", "B", 99, "0121"),
    ("Nottingham", "NG", 20, "0115"), ("Leicester", "LE", 19, "0116"), ("Cardiff", "CF", 24, "029"),
    ("Edinburgh", "EH", 17, "0131"), ("Glasgow", "G", 80, "0141"), ("Cambridge", "CB", 25, "01223"),
    ("Oxford", "OX", 44, "01865"), ("Brighton", "BN", 45, "01273"), ("Exeter", "EX", 39, "01392"),
    ("Norwich", "NR", 35, "01603"), ("York", "YO", 62, "01904"), ("Reading", "RG", 45, "0118"),
)
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
FREE_MAIL = (("gmail.com", 30), ("hotmail.co.uk", 14), ("yahoo.co.uk", 9), ("outlook.com", 9),
             ("btinternet.com", 8), ("icloud.com", 7), ("live.co.uk", 4), ("sky.com", 4),
             ("aol.com", 3), ("virginmedia.com", 3), ("googlemail.com", 2), ("hotmail.com", 3),
             ("talktalk.net", 2), ("ntlworld.com", 2), ("yahoo.com", 2))
BUSINESS_MAILBOXES = ("info", "hello", "office", "accounts", "admin", "enquiries", "sales", "mail")
TRADING_MARKERS = (" t/a ", " T/A ", " t/as ", " trading as ", " Trading As ", " T/a ", " - t/a ")
LEGAL_SUFFIXES = ("Ltd", "Ltd", "Limited", "Ltd.", "Limited")
SUFFIX_SWAPS = {"Ltd": "Limited", "Limited": "Ltd", "Ltd.": "Limited", "LLP": "L.L.P.",
                "& Co": "and Co", "Partnership": ""}


@dataclass
class Book:
    """A practice's clients and the Xero contacts to match, with the answers."""

    clients: list[dict]
    contacts: list[dict]
    truth: dict[str, Any]  # ContactID -> the true client's id, or None when it has none
    kinds: dict[str, str]  # ContactID -> the kind of case


def book(split: str, scale: float = 1.0) -> Book:
    """Return the split's book ("dev" or "held-out"), `scale` times the usual size."""
    return _Builder(random.Random(SPLITS[split]), scale).build()


# --- the real-world things both sides describe ----------------------------------------------


@dataclass
class Person:
    first: str
    last: str
    sex: str
    email: str = ""
    mobile: tuple[str, str] | None = None


@dataclass
class Entity:
    """A client as it is in the world: what each side's record is typed from."""

    kind: str  # individual, company, sole or partnership
    name: str  # as the practice writes it
    person: Person | None = None  # the individual, owner, director or contact
    email: str = ""
    phone: tuple[str, str] | None = None  # (area code with trunk 0, local number)
    address: tuple[str, str, str] | None = None  # (line 1, town, postcode)
    vat: str = ""
    account: str = ""
    fields: dict = field(default_factory=dict)  # extra practice-record fields


class _Builder:
    def __init__(self, rng: random.Random, scale: float):
        self.rng = rng
        self.scale = scale
        self.home = rng.sample(range(len(TOWNS)), 3)  # a practice's clients are mostly local
        self.clients: list[dict] = []
        self.entities: list[Entity] = []  # what each client record was typed from
        self.taken: set[str] = set()  # email addresses, web domains and company names in use
        self.contacts: list[dict] = []
        self.truth: dict[str, Any] = {}
        self.kinds: dict[str, str] = {}

    def build(self) -> Book:
        makers = {"alike": self.alike, "trading": self.trading, "owner": self.owner,
                  "renamed": self.renamed, "namesake": self.namesake, "joint": self.joint,
                  "undecidable": self.undecidable, "none": self.no_counterpart}
        for _ in range(round(BACKGROUND * self.scale)):
            self.client(self.entity())
        for kind, count in CASES.items():
            for _ in range(round(count * self.scale)):
                makers[kind]()
        self.rng.shuffle(self.clients)
        self.rng.shuffle(self.contacts)
        for number, client in enumerate(self.clients, start=1):
            client["id"] = number
            client["reference"] = _reference(client, number)
        for contact in self.contacts:
            if contact.get("ContactNumber") is _REFERENCE:
                contact["ContactNumber"] = contact.pop("_client")["reference"]
            contact.pop("_client", None)
        truth = {key: (client["id"] if client is not None else None)
                 for key, client in self.truth.items()}
        return Book(self.clients, self.contacts, truth, self.kinds)

    # --- the kinds of case ---------------------------------------------------------------

    def alike(self) -> None:
        """The same name typed twice: suffixes, punctuation, accents, typos, word order,
        and now and then the short form of a first name."""
        entity = self.entity()
        called = None
        if entity.kind == "individual" and entity.person.first in SHORT_FORMS and self.rng.random() < 0.4:
            called = self.rng.choice(SHORT_FORMS[entity.person.first])
        self.pair(entity, "alike", self.retyped(entity, called), called=called)

    def trading(self) -> None:
        """A company and its trading name, with "t/a" on either side or neither."""
        rng = self.rng
        legal = self.company_name()
        trade = self.trading_name()
        entity = self.entity("company", name=legal)
        entity.email = self.business_email(trade) if rng.random() < 0.7 else entity.email
        both = f"{legal}{rng.choice(TRADING_MARKERS)}{trade}"
        practice, xero, must_agree = rng.choices([
            (both, trade, False), (legal, both, False), (trade, both, False),
            (trade, _swap_suffix(legal), True), (legal, trade, True), (trade, trade, False),
        ], weights=(30, 20, 10, 10, 25, 5))[0]
        if rng.random() < 0.15:  # another business trading under that name: the fields decide
            self.client(self.entity("sole", name=trade))
            must_agree = True
        entity.name = practice
        self.pair(entity, "trading", self.noisy(xero), must_agree=must_agree)

    def owner(self) -> None:
        """A sole trader kept as the person on one side and as the business on the other."""
        rng = self.rng
        person = self.person()
        business = self.sole_trader_name(person)
        shape = rng.choices(("person-here", "business-here", "both-here", "director"),
                            weights=(40, 35, 10, 15))[0]
        if shape == "director":  # the practice has the company and its director's own return
            company = self.entity("company", person=person)
            own = self.entity("individual", person=person, phone=company.phone)
            if rng.random() < 0.5:
                self.client(own)
                self.pair(company, "owner", self.noisy(company.name))
            else:
                self.client(company)
                self.pair(own, "owner", self.noisy(_person_name(person), person=True))
            return
        entity = self.entity("sole", name=business, person=person)
        if rng.random() < 0.8:  # practices note a sole trader's name with the business
            entity.fields = {"first_name": person.first, "last_name": person.last}
        if shape == "person-here":
            entity.kind, entity.name = "individual", _person_name(person)
            xero_name = business
        elif shape == "business-here":
            xero_name = self.noisy(_person_name(person), person=True)
        else:
            entity.name = f"{_person_name(person)}{rng.choice(TRADING_MARKERS)}{business}"
            xero_name = rng.choice((business, _person_name(person)))
        shown = rng.random() < 0.75
        # Nothing but the person's name links the two: without it on both sides, a field must.
        unlinked = (shape == "person-here" and not shown) or (shape == "business-here"
                                                               and not entity.fields)
        self.pair(entity, "owner", xero_name, show_person=shown, must_agree=unlinked)

    def renamed(self) -> None:
        """A business renamed on one side only; other fields still agree."""
        rng = self.rng
        kind = rng.choice(("company", "company", "sole", "partnership"))
        entity = self.entity(kind)
        old = entity.name
        new = self.renamed_name(entity)
        siblings = []
        if rng.random() < 0.15:  # the owner's other business shares the phone and the office
            siblings.append(self.entity(kind, person=entity.person, phone=entity.phone,
                                        address=entity.address))
            self.client(siblings[0])
        practice, xero = (old, new) if rng.random() < 0.5 else (new, old)
        if rng.random() < 0.1:
            xero = f"{new} (formerly {old})"
        entity.name = practice
        self.pair(entity, "renamed", self.noisy(xero), must_agree="distinct" if siblings else True,
                  others=siblings)

    def namesake(self) -> None:
        """Two or more clients with the same name: the other fields decide which one."""
        rng = self.rng
        surname = self.surname()
        if rng.random() < 0.5:  # two "J Smith"s, at different addresses
            first = self.first_name()
            people = [self.person(surname, first=first), self.person(surname, initial=first[0])]
            if rng.random() < 0.3:
                people[1] = self.person(surname, first=first)  # the very same name
            entities = [self.entity("individual", person=person) for person in people]
        else:  # a family at one address, sharing the landline
            family = self.family(surname, rng.randint(2, 4))
            address = self.address()
            landline = self.landline(address)
            entities = [self.entity("individual", person=person, address=address,
                                    phone=landline if rng.random() < 0.6 else None)
                        for person in family]
        true, *others = entities
        for other in others:
            self.client(other)
        initial_only = sum(entity.person.first[0] == true.person.first[0]
                           for entity in entities) < 2 or rng.random() < 0.5
        name = (_initial_name(true.person, rng) if initial_only
                else self.noisy(_person_name(true.person), person=True))
        self.pair(true, "namesake", name, show_person=not initial_only, must_agree="distinct",
                  others=others)

    def undecidable(self) -> None:
        """A couple with the same initial at one address; Xero has only "J Smith" and the address."""
        rng = self.rng
        surname = self.surname()
        initial = rng.choice(_SHARED_INITIALS)
        him = self.person(surname, sex="m", initial=initial)
        her = self.person(surname, sex="f", initial=initial)
        address = self.address()
        landline = self.landline(address)
        couple = [self.entity("individual", person=person, address=address, phone=landline)
                  for person in (him, her)]
        true, other = couple if rng.random() < 0.5 else couple[::-1]
        self.client(other, held=_EVERYTHING)
        record = self.client(true, held=_EVERYTHING)
        contact = self.contact(_initial_name(true.person, rng))
        contact["Addresses"] = _xero_addresses(address, rng)
        if rng.random() < 0.5:
            contact["Phones"] = _xero_phones(landline, rng)
        self.add(contact, record, "undecidable")

    def joint(self) -> None:
        """A couple in one record ("Mr & Mrs Patel") against one of them in the other."""
        rng = self.rng
        surname = self.surname()
        one, two = self.person(surname, sex="m"), self.person(surname, sex="f")
        if rng.random() < 0.5:
            one, two = two, one
        entity = self.entity("individual", person=one)
        if rng.random() < 0.3:
            entity.email = self.personal_email(Person(f"{one.first}{two.first}", surname, "m"))
        together = _joint_name(one, two, rng)
        if rng.random() < 0.7:  # the practice has the person, Xero the couple
            self.pair(entity, "joint", together, show_person=rng.random() < 0.3, must_agree=True)
        else:
            entity.kind, entity.name = "joint", together
            entity.fields = {"first_name": f"{one.first} & {two.first}", "last_name": surname}
            self.pair(entity, "joint", self.noisy(_person_name(one), person=True), must_agree=True)

    def no_counterpart(self) -> None:
        """A Xero customer the practice does not have, often looking like one it does."""
        rng = self.rng
        shape = rng.choices(("fresh", "namesake", "relative", "lookalike"),
                            weights=(40, 25, 15, 20))[0]
        people = [entity for entity in self.entities if entity.kind == "individual"]
        if shape == "namesake":  # another person of the same name
            host = rng.choice(people).person
            entity = self.entity("individual", person=self.person(host.last, first=host.first))
        elif shape == "relative":  # lives with a client, has their own details
            host = rng.choice(people)
            relative = self.person(host.person.last)
            while relative.first == host.person.first:  # a household names its members apart
                relative = self.person(host.person.last)
            entity = self.entity("individual", person=relative, address=host.address,
                                 phone=host.phone if host.phone[0][:2] != "07" else None)
        elif shape == "lookalike":  # same trade, same surname or place, another business
            host = rng.choice([entity for entity in self.entities if entity.kind != "individual"])
            entity = self.entity("sole", name=f"{host.name.split()[0]} {rng.choice(TRADES)}")
        else:
            entity = self.entity()
        contact = self.xero_record(entity, self.noisy(entity.name, entity.kind == "individual"))
        self.add(contact, None, "none")

    # --- the two sides' records ----------------------------------------------------------

    def pair(self, entity: Entity, kind: str, xero_name: str, *, show_person: bool = True,
             must_agree: bool | str = False, others: list[Entity] = (), called: str | None = None
             ) -> None:
        """Add the entity's practice record and its Xero contact, typed separately."""
        rng = self.rng
        # Which fields each side has, and whether Xero's agrees with the practice's.
        state = {}
        for name in ("email", "phone", "address", "vat", "account"):
            held = bool(getattr(entity, name)) and rng.random() < {"vat": 0.8, "account": 1.0}.get(name, 0.88)
            agree = rng.random() < {"email": 0.72, "phone": 0.62, "address": 0.6, "vat": 0.5,
                                    "account": 0.5}[name]
            state[name] = (held, agree)
        if must_agree:
            usable = [name for name in state if getattr(entity, name)]
            if must_agree == "distinct":  # a field that tells the namesakes apart
                usable = [name for name in usable
                          if all(getattr(other, name) != getattr(entity, name) for other in others)]
            if usable and not any(state[name] == (True, True) for name in usable):
                state[rng.choice(usable)] = (True, True)
        record = self.client(entity, held={name: held for name, (held, _) in state.items()})
        contact = self.xero_record(entity, xero_name, show_person=show_person, called=called,
                                   agree={name: agree for name, (_, agree) in state.items()})
        if rng.random() < 0.03:  # an earlier import put the practice reference in Xero
            contact["ContactNumber"] = _REFERENCE
        self.add(contact, record, kind)

    def client(self, entity: Entity, held: dict | None = None) -> dict:
        """Add the practice's record of the entity."""
        rng = self.rng
        held = held or {name: rng.random() < 0.88 for name in ("email", "phone", "address")} | {
            "vat": rng.random() < 0.8, "account": True}
        record = {"kind": "individual" if entity.kind in ("individual", "joint") else "business",
                  "name": entity.name, "first_name": "", "last_name": "", "email": "", "phone": "",
                  "address_line1": "", "address_line2": "", "city": "", "region": "",
                  "postcode": "", "country": "", "tax_number": "", "account_number": "",
                  "notes": "", "archived": False}
        if entity.person and (entity.kind == "individual" or rng.random() < 0.45):
            record |= {"first_name": entity.person.first, "last_name": entity.person.last}
        record |= entity.fields
        if held.get("email") and entity.email:
            record["email"] = entity.email
        if held.get("phone") and entity.phone:
            record["phone"] = _phone_text(entity.phone, rng)
        if held.get("address") and entity.address:
            line1, town, postcode = entity.address
            record |= {"address_line1": line1, "city": town, "postcode": postcode,
                       "country": rng.choice(("GB", "United Kingdom", ""))}
        if held.get("vat") and entity.vat:
            record["tax_number"] = entity.vat
        if held.get("account") and entity.account:
            record["account_number"] = entity.account
        self.clients.append(record)
        self.entities.append(entity)
        return record

    def xero_record(self, entity: Entity, name: str, *, show_person: bool = True,
                    agree: dict | None = None, called: str | None = None) -> dict:
        """Return the Xero contact a bookkeeper typed for the entity, under `name` (and the
        person's first name as `called` if given)."""
        rng = self.rng
        agree = agree or {}
        contact = self.contact(name)
        person = entity.person
        if person and show_person:
            if entity.kind == "individual" or rng.random() < 0.65:
                contact |= {"FirstName": called or person.first, "LastName": person.last}
            else:
                contact["ContactPersons"] = [{"FirstName": person.first, "LastName": person.last,
                                              "EmailAddress": person.email if rng.random() < 0.5 else "",
                                              "IncludeInEmails": True}]
        email = entity.email
        if email and agree.get("email", rng.random() < 0.72):
            contact["EmailAddress"] = email if rng.random() < 0.9 else email.title()
        elif email and rng.random() < 0.4:
            contact["EmailAddress"] = _other_mailbox(email, person, rng)
        phone = entity.phone
        if phone and agree.get("phone", rng.random() < 0.62):
            contact["Phones"] = _xero_phones(phone, rng)
        elif rng.random() < 0.3:
            contact["Phones"] = _xero_phones(_mobile(rng), rng)
        if entity.address and agree.get("address", rng.random() < 0.6):
            contact["Addresses"] = _xero_addresses(entity.address, rng)
        elif rng.random() < 0.2:
            contact["Addresses"] = _xero_addresses(self.address(), rng)
        if entity.vat and agree.get("vat", rng.random() < 0.5):
            contact["TaxNumber"] = _vat_text(entity.vat, rng)
        if entity.account and agree.get("account", rng.random() < 0.5):
            contact["AccountNumber"] = entity.account
        return contact

    def contact(self, name: str) -> dict:
        contact_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return {"ContactID": contact_id, "ContactStatus": "ACTIVE", "Name": name,
                "IsCustomer": True, "EmailAddress": "",
                "Addresses": [{"AddressType": "POBOX"}, {"AddressType": "STREET"}],
                "Phones": [{"PhoneType": kind} for kind in ("DEFAULT", "DDI", "FAX", "MOBILE")]}

    def add(self, contact: dict, client: dict | None, kind: str) -> None:
        if contact.get("ContactNumber") is _REFERENCE:
            contact["_client"] = client
        self.contacts.append(contact)
        self.truth[contact["ContactID"]] = client
        self.kinds[contact["ContactID"]] = kind

    # --- entities and their parts --------------------------------------------------------

    def entity(self, kind: str | None = None, *, name: str | None = None,
               person: Person | None = None, phone=None, address=None) -> Entity:
        """Return a plausible client of the given kind (any kind when None)."""
        rng = self.rng
        kind = kind or rng.choices(("individual", "company", "sole", "partnership"),
                                   weights=(40, 30, 22, 8))[0]
        person = person or self.person()
        if kind == "individual":
            address = address or self.address()
            home_phone = person.mobile if rng.random() < 0.7 else self.landline(address)
            return Entity(kind, name or _person_name(person), person, email=person.email,
                          phone=phone or home_phone, address=address)
        if kind == "company":
            name = name or self.company_name(person)
        elif kind == "sole":
            name = name or self.sole_trader_name(person)
        else:
            other = self.surname()
            name = name or rng.choice((f"{person.last} & {other}", f"{person.last} {other} LLP",
                                       f"{person.last} & Co", f"{person.last} & {other} Partnership"))
        email = (self.business_email(name) if kind != "sole" or rng.random() < 0.4
                 else person.email)
        address = address or self.address(business=True)
        entity = Entity(kind, name, person, email=email,
                        phone=phone or (self.landline(address) if rng.random() < 0.6 else person.mobile),
                        address=address,
                        vat=_vat(rng) if rng.random() < {"company": 0.55, "sole": 0.2}.get(kind, 0.4) else "",
                        account=f"{rng.choice('ABCDEFGHJK')}{rng.randint(100, 9999)}" if rng.random() < 0.08 else "")
        return entity

    def person(self, surname: str | None = None, *, sex: str | None = None,
               initial: str | None = None, first: str | None = None) -> Person:
        """Return someone with their own email and mobile, of the given surname, sex, initial."""
        rng = self.rng
        if first:
            sex = "m" if first in FIRST_NAMES[:_FIRST_FEMALE] else "f"
        sex = sex or rng.choice("mf")
        pool = FIRST_NAMES[:_FIRST_FEMALE] if sex == "m" else FIRST_NAMES[_FIRST_FEMALE:]
        if initial and any(name[0] == initial for name in pool):
            pool = [name for name in pool if name[0] == initial]
        person = Person(first or rng.choice(pool), surname or self.surname(), sex)
        person.email = self.personal_email(person)
        person.mobile = _mobile(rng)
        return person

    def family(self, surname: str, size: int) -> list[Person]:
        return [self.person(surname) for _ in range(size)]

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]

    def first_name(self) -> str:
        return self.rng.choice(FIRST_NAMES[:_FIRST_FEMALE])

    def company_name(self, person: Person | None = None) -> str:
        """Return a company name no other company has (Companies House sees to that)."""
        while True:
            name = self._company_name(person)
            if self.take(_plain(name.rsplit(" ", 1)[0])):
                return name

    def _company_name(self, person: Person | None) -> str:
        rng = self.rng
        last = person.last if person else self.surname()
        core = rng.choice((
            f"{last} {rng.choice(TRADES)}", f"{rng.choice(PLACES)} {rng.choice(TRADES)}",
            f"{last} & {self.surname()}", f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(TRADES)}",
            f"{last} Holdings", f"{''.join(rng.choice(POSTCODE_LETTERS) for _ in range(3))} {rng.choice(TRADES)}",
            f"{rng.choice(PLACES)} {rng.choice(PLACES)} {rng.choice(TRADES)}",
        ))
        return f"{core} {rng.choice(LEGAL_SUFFIXES)}"

    def sole_trader_name(self, person: Person) -> str:
        rng = self.rng
        return rng.choice((
            f"{person.last} {rng.choice(TRADES)}", f"{person.first} {person.last} {rng.choice(TRADES)}",
            f"{person.first}'s {rng.choice(TRADES)}", f"{rng.choice(PLACES)} {rng.choice(TRADES)}",
            f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(TRADES)}",
        ))

    def trading_name(self) -> str:
        rng = self.rng
        return rng.choice((
            f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
            f"The {rng.choice(NOUNS)} & {rng.choice(NOUNS)}",
            f"{rng.choice(PLACES)} {rng.choice(TRADES)}",
            f"The {rng.choice(PLACES)} {rng.choice(TRADES)}",
            f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(TRADES)}",
        ))

    def renamed_name(self, entity: Entity) -> str:
        """Return a new name: unrelated, or keeping only the first word of the old one."""
        rng = self.rng
        if rng.random() < 0.6:
            return self.company_name() if entity.kind == "company" else self.trading_name()
        first = entity.name.split()[0]
        return f"{first} {rng.choice(TRADES)} {rng.choice(LEGAL_SUFFIXES)}"

    def business_email(self, name: str) -> str:
        """Return a mailbox at a web domain made from the name, a domain no one else has."""
        rng = self.rng
        words = [word for word in _plain(name).split() if word not in ("ltd", "limited", "the", "llp")]
        joined = rng.choice(("".join(words), "-".join(words), "".join(words[:2]),
                             "".join(word[0] for word in words) + (words[-1] if words else "")))
        ending = rng.choice((".co.uk", ".co.uk", ".com", ".uk"))
        domain = f"{joined or 'mail'}{ending}"
        for attempt in range(2, 200):
            if self.take(domain):
                break
            domain = f"{joined or 'mail'}{rng.choice(('-uk', '-ltd', '1', '24', '-online'))}{ending}"
        else:  # every variant taken (large books): number it
            while not self.take(domain):
                attempt += 1
                domain = f"{joined or 'mail'}{attempt}{ending}"
        return f"{rng.choice(BUSINESS_MAILBOXES)}@{domain}"

    def personal_email(self, person: Person) -> str:
        """Return a free-mail address no one else has."""
        rng = self.rng
        first, last = _plain(person.first).replace(" ", ""), _plain(person.last).replace(" ", "")
        providers, weights = zip(*FREE_MAIL)
        while True:
            local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}",
                                f"{first}.{last}{rng.randint(1, 99)}", f"{last}.{first}",
                                f"{first}{rng.randint(60, 99)}", f"{first[0]}.{last}{rng.randint(1, 9)}"))
            email = f"{local}@{rng.choices(providers, weights=weights)[0]}"
            if self.take(email):
                return email

    def take(self, key: str) -> bool:
        """Claim a name or address for one entity; False if another has it."""
        if key in self.taken:
            return False
        self.taken.add(key)
        return True

    def landline(self, address: tuple[str, str, str] | None = None) -> tuple[str, str]:
        """Return a landline, usually in the address's town."""
        rng = self.rng
        town = TOWNS[rng.choice(self.home) if rng.random() < 0.7 else rng.randrange(len(TOWNS))]
        if address and rng.random() < 0.85:
            town = next(town for town in TOWNS if town[0] == address[1])
        area = town[3]
        digits = 11 - len(area)
        first = "78" if area == "020" else "2345679"
        return area, rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(digits - 1))

    def address(self, business: bool = False) -> tuple[str, str, str]:
        rng = self.rng
        town, area, districts, _ = TOWNS[rng.choice(self.home) if rng.random() < 0.7
                                         else rng.randrange(len(TOWNS))]
        street = f"{rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        if business and rng.random() < 0.3:
            line1 = f"Unit {rng.randint(1, 40)}, {rng.choice(PLACES)} Business Park"
        else:
            line1 = f"{rng.randint(1, 240)} {street}"
        postcode = (f"{area}{rng.randint(1, districts)} {rng.randint(1, 9)}"
                    f"{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}")
        return line1, town, postcode

    # --- how the bookkeeper retypes a name -----------------------------------------------

    def retyped(self, entity: Entity, called: str | None = None) -> str:
        """Return the entity's name with the differences two people typing it make."""
        rng = self.rng
        name = entity.name
        if called:
            name = f"{called} {entity.person.last}"
        if entity.kind == "individual" and rng.random() < 0.35:
            person = entity.person
            first = called or person.first
            name = rng.choice((f"{person.last}, {first}", f"{person.last} {first}",
                               f"{rng.choice(TITLES[person.sex])} {first} {person.last}",
                               f"{first} {person.last} ({rng.choice(TITLES[person.sex])})"))
        changes = ("punctuation", "accents", "typo", "case")
        if entity.kind != "individual":
            changes += ("suffix", "ampersand", "the")
        changes = rng.sample(changes, rng.randint(1, 3))
        for change in changes:
            name = _CHANGES[change](name, rng)
        return name

    def noisy(self, name: str, person: bool = False) -> str:
        """Return the name as a second person may type it: now and then a small difference."""
        rng = self.rng
        if rng.random() < 0.5:
            return name
        changes = ("punctuation", "accents", "typo", "case")
        if not person:
            changes += ("suffix", "ampersand")
        return _CHANGES[rng.choice(changes)](name, rng)


# --- formats ---------------------------------------------------------------------------------

_REFERENCE = object()  # a contact's ContactNumber to fill in with its client's reference
_EVERYTHING = {"email": True, "phone": True, "address": True, "vat": True, "account": True}
_FIRST_FEMALE = FIRST_NAMES.index("Olivia")
_SHARED_INITIALS = sorted({name[0] for name in FIRST_NAMES[:_FIRST_FEMALE]}
                          & {name[0] for name in FIRST_NAMES[_FIRST_FEMALE:]})
_SURNAME_WEIGHTS = [1 / (rank + 8) for rank in range(len(SURNAMES))]


def _person_name(person: Person) -> str:
    return f"{person.first} {person.last}"


def _initial_name(person: Person, rng: random.Random) -> str:
    title = rng.choice(TITLES[person.sex])
    return rng.choice((f"{person.first[0]} {person.last}", f"{person.first[0]}. {person.last}",
                       f"{title} {person.first[0]} {person.last}", f"{person.last} {person.first[0]}"))


def _joint_name(one: Person, two: Person, rng: random.Random) -> str:
    last = one.last
    titles = {"m": "Mr", "f": "Mrs"}
    a, b = one, two
    if rng.random() < 0.5:
        a, b = two, one
    return rng.choice((
        f"Mr & Mrs {last}", f"Mr and Mrs {last}", f"Mr & Mrs {one.first[0]} {last}",
        f"{a.first[0]} & {b.first[0]} {last}", f"{a.first[0]} and {b.first[0]} {last}",
        f"{a.first} & {b.first} {last}", f"{a.first} and {b.first} {last}",
        f"{titles[a.sex]} {a.first[0]} & {titles[b.sex]} {b.first[0]} {last}",
        f"{last}, {a.first} & {b.first}", f"{a.first} {last} & {b.first} {last}",
        f"{a.first} {last} and {b.first} {last}",
    ))


def _reference(client: dict, number: int) -> str:
    letters = "".join(char for char in _plain(client["last_name"] or client["name"]).upper()
                      if char.isalpha())[:3]
    return f"{letters or 'CLI'}{number:04d}"


def _plain(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = text.replace("&", " and ").replace("'", "")
    return " ".join("".join(char if char.isalnum() else " " for char in text).split())


def _other_mailbox(email: str, person: Person | None, rng: random.Random) -> str:
    """Return another address the same client uses: a colleague's mailbox, or the owner's own."""
    _, _, domain = email.partition("@")
    if domain in dict(FREE_MAIL):
        return person.email if person and person.email != email else ""
    return rng.choice((f"{rng.choice(BUSINESS_MAILBOXES)}@{domain}", person.email if person else ""))


def _mobile(rng: random.Random) -> tuple[str, str]:
    return f"07{rng.choice('1234579')}{rng.randint(10, 99)}", f"{rng.randint(0, 999999):06d}"


def _vat(rng: random.Random) -> str:
    return f"GB{rng.randint(100_000_000, 999_999_999)}"


def _vat_text(vat: str, rng: random.Random) -> str:
    digits = vat[2:]
    return rng.choice((vat, digits, f"GB {digits[:3]} {digits[3:7]} {digits[7:]}",
                       f"{digits[:3]} {digits[3:7]} {digits[7:]}"))


def _spaced(area: str, local: str) -> str:
    if len(local) == 8:
        return f"{local[:4]} {local[4:]}"
    return f"{local[:3]} {local[3:]}" if len(local) == 7 else local


def _phone_text(phone: tuple[str, str], rng: random.Random) -> str:
    area, local = phone
    return rng.choice((f"{area} {_spaced(area, local)}", f"{area} {_spaced(area, local)}",
                       f"{area}{local}", f"+44 {area[1:]} {_spaced(area, local)}",
                       f"+44 (0){area[1:]} {_spaced(area, local)}", f"({area}) {_spaced(area, local)}",
                       f"+44{area[1:]}{local}"))


def _xero_phones(phone: tuple[str, str], rng: random.Random) -> list[dict]:
    area, local = phone
    kind = "MOBILE" if area.startswith("07") else "DEFAULT"
    shape = rng.random()
    if shape < 0.5:
        filled = {"PhoneNumber": _phone_text(phone, rng)}
    elif shape < 0.75:
        filled = {"PhoneCountryCode": rng.choice(("44", "+44")), "PhoneAreaCode": area[1:],
                  "PhoneNumber": local}
    else:
        filled = {"PhoneAreaCode": area, "PhoneNumber": _spaced(area, local)}
    return [{"PhoneType": slot} | (filled if slot == kind else {})
            for slot in ("DEFAULT", "DDI", "FAX", "MOBILE")]


def _xero_addresses(address: tuple[str, str, str], rng: random.Random) -> list[dict]:
    line1, town, postcode = address
    if rng.random() < 0.35:
        words = line1.split()
        line1 = " ".join(words[:-1] + [STREET_SHORT.get(words[-1], words[-1])])
    if rng.random() < 0.15:
        postcode = postcode.lower()
    elif rng.random() < 0.15:
        postcode = postcode.replace(" ", "")
    filled = {"AddressLine1": line1, "City": town, "PostalCode": postcode,
              "Country": rng.choice(("United Kingdom", "GB", "UK", ""))}
    slot = "POBOX" if rng.random() < 0.6 else "STREET"
    return [{"AddressType": kind} | (filled if kind == slot else {}) for kind in ("POBOX", "STREET")]


def _swap_suffix(name: str, rng: random.Random | None = None) -> str:
    for suffix, other in SUFFIX_SWAPS.items():
        if name.endswith(" " + suffix):
            return f"{name[: -len(suffix)]}{other}".strip()
    if rng is not None and rng.random() < 0.5 and "&" not in name:
        return f"{name} Ltd"
    return name


def _ampersand(name: str, rng: random.Random) -> str:
    if "&" in name:
        return name.replace("&", rng.choice(("and", "and", "+")))
    return name.replace(" and ", " & ")


def _accents(name: str, rng: random.Random) -> str:
    import unicodedata

    stripped = "".join(char for char in unicodedata.normalize("NFKD", name)
                       if not unicodedata.combining(char))
    if stripped != name:
        return stripped
    return name.replace("Cafe", "Café").replace("Zoe", "Zoë").replace("Renee", "Renée")


def _punctuation(name: str, rng: random.Random) -> str:
    if "'" in name:
        return name.replace("'", rng.choice(("", "’")))
    if "-" in name:
        return name.replace("-", " ")
    if "," in name:
        return name.replace(",", "")
    return name.replace(" Ltd", " Ltd.") if rng.random() < 0.5 else name + "."


def _typo(name: str, rng: random.Random) -> str:
    letters = [index for index, char in enumerate(name) if char.isalpha()]
    if len(letters) < 6:
        return name
    at = rng.choice(letters[1:-1])
    edit = rng.randrange(4)
    if edit == 0:
        return name[:at] + name[at + 1:]
    if edit == 1:
        return name[:at] + name[at] + name[at:]
    if edit == 2 and name[at + 1:at + 2].isalpha():
        return name[:at] + name[at + 1] + name[at] + name[at + 2:]
    return name[:at] + rng.choice("aeiounrst") + name[at + 1:]


def _case(name: str, rng: random.Random) -> str:
    return name.upper() if rng.random() < 0.7 else name.lower()


def _the(name: str, rng: random.Random) -> str:
    return name[4:] if name.startswith("The ") else f"The {name}"


_CHANGES = {"suffix": lambda name, rng: _swap_suffix(name, rng), "ampersand": _ampersand,
            "punctuation": _punctuation, "accents": _accents, "typo": _typo, "case": _case,
            "the": _the}
