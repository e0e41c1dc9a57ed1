"""Realistic, varied and deterministic contact data for seeded organisations."""
import random

FIRST = ("Oliver Amelia Harry Isla George Ava Noah Mia Jack Ivy Leo Grace Arthur Freya Oscar Lily "
         "Charlie Sophia Thomas Emily Alfie Ella Henry Poppy Theo Rosie William Evie Jacob Sienna "
         "Aarav Priya Mohammed Fatima Wei Mei Kofi Ama Liam Aoife Mateo Lucia Tane Aroha").split()
LAST = ("Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Robinson Thompson "
        "Evans Walker White Roberts Green Hall Wood Jackson Clarke Khan Lewis Harris Martin Cooper "
        "King Lee Baker Morgan Hughes Edwards Turner Hill Moore Ward Parker Price Bennett Griffiths "
        "Kaur Singh Chen Nguyen O'Brien Murphy Ngata Okafor Novak Rossi").split()
TRADE_WORDS = ("Harbour Riverside Summit Oak Willow Granite Meadow Beacon Lighthouse Kingfisher "
               "Northgate Ashford Copper Bramble Foxglove Highland Orchard Silver Crown Anchor "
               "Heron Redwood Station Market Castle Bridge Valley Meridian Compass Pioneer").split()
TRADES = ("Bakery Consulting Joinery Electrical Plumbing Dental Care Design Studio Logistics Motors "
          "Accountancy Catering Florists Architects Builders Gardens Veterinary Fitness Print "
          "Software Roofing Cleaning Pharmacy Brewing Photography Recruitment Surveyors").split()
SUFFIXES = ("Ltd", "Limited", "LLP", "& Co", "Group", "Services", "")
STREETS = ("High Street", "Station Road", "Church Lane", "Park Avenue", "Mill Road", "Victoria Road",
           "Queen Street", "Green Lane", "The Crescent", "King's Road", "Manor Way", "Harbour Parade")
CITIES = (("London", "EC1A"), ("Bristol", "BS1"), ("Manchester", "M1"), ("Leeds", "LS1"),
          ("Birmingham", "B1"), ("Glasgow", "G1"), ("Cardiff", "CF10"), ("Edinburgh", "EH1"),
          ("Norwich", "NR1"), ("York", "YO1"), ("Brighton", "BN1"), ("Belfast", "BT1"))


def _slug(text):
    return "".join(ch for ch in text.lower() if ch.isalnum())


def person_or_company(rng):
    """(Name, FirstName, LastName, email domain hint) for one contact."""
    if rng.random() < 0.35:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return f"{first} {last}", first, last, f"{_slug(first)}.{_slug(last)}"
    words = [rng.choice(TRADE_WORDS), rng.choice(TRADES)]
    suffix = rng.choice(SUFFIXES)
    name = " ".join(words + ([suffix] if suffix else []))
    return name, None, None, _slug("".join(words))


def contacts(count, seed, taken=()):
    """`count` contact dicts with unique names (also unique against `taken`, ignoring case)."""
    rng, used = random.Random(seed), {name.lower() for name in taken}
    made = []
    while len(made) < count:
        name, first, last, handle = person_or_company(rng)
        if name.lower() in used:
            name = f"{name} ({rng.choice(CITIES)[0]} {rng.randint(2, 9999)})"
            if name.lower() in used:
                continue
        used.add(name.lower())
        city, district = rng.choice(CITIES)
        email = (f"{handle}{rng.randint(1, 99)}@example.com" if first
                 else f"accounts@{handle}.example.co.uk")
        made.append({
            "Name": name, "FirstName": first, "LastName": last, "EmailAddress": email,
            "Phones": [{"PhoneType": "DEFAULT",
                        "PhoneNumber": f"0{rng.randint(1000, 1999)} {rng.randint(100000, 999999)}"}],
            "Addresses": [{"AddressType": "STREET",
                           "AddressLine1": f"{rng.randint(1, 220)} {rng.choice(STREETS)}",
                           "City": city, "PostalCode": f"{district} {rng.randint(1, 9)}"
                           f"{rng.choice('ABDEFGHJLNPQRSTUWXY')}{rng.choice('ABDEFGHJLNPQRSTUWXY')}",
                           "Country": "United Kingdom"}],
        })
    return made
