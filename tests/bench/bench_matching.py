"""Benchmark Xero contact matching: suggest() for 10,000 contacts x 10,000 clients.

The baseline is the cheapest thing that could be called matching: a name-only rapidfuzz cdist
(token sort ratio, all cores) over the same normalised names. suggest() should stay within 3x of
it and under 5 s, without holding a full float matrix in memory.

Run it alone with ``python -m tests.bench.bench_matching``.
"""

from __future__ import annotations

import random
import resource
import time
import tracemalloc

from rapidfuzz import fuzz, process

from plugins.xero.matching import normalise_name, suggest

SIZE = 10_000
QUICK_SIZE = 500  # `make bench-quick`: the same code paths in a second
SEED = 20240601
MATCHED_SHARE = 0.6  # Xero contacts that are a perturbed copy of some practice client

SURNAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason "
    "Mitchell Rose Davis Rodriguez Cox Alexander Morgan Moore Martin Price Cooper Ward Hughes "
    "Edwards Turner Hill Baker Harris Lee Allen King Scott Young Morris Campbell Bell Murphy "
    "Kelly Walsh Byrne Ryan O'Brien O'Connor McCarthy Doyle Gallagher Whitfield Ahmed Ali Singh "
    "Chen Wang Nguyen Kowalski Novak Fischer Müller Schmidt Dubois Moreau García Fernández "
    "Rossi Russo Costa Silva Santos Jensen Hansen Nielsen Larsen Andersson Johansson"
).split()
FIRST_NAMES = (
    "Jane John James Mary Sarah David Michael Emma Olivia Oliver Harry George Amelia Isla Ava "
    "Jack Noah Leo Arthur Lily Grace Sophie Chloe Ella Mia Thomas William Charlie Freddie Alfie "
    "Ruby Evie Poppy Daisy Rosie Aoife Siobhán Seán Ciarán Zoë Chloé Priya Raj Aisha Omar Yusuf "
    "Wei Mei Lukas Anna Eva Marta Pablo Lucía Giulia Marco Sven Ingrid Astrid Niamh Eoin"
).split()
TRADES = (
    "Plumbing Heating Electrical Builders Joinery Roofing Landscaping Bakery Café Coffee "
    "Consulting Design Studio Media Digital Marketing Property Lettings Estates Motors Garage "
    "Engineering Logistics Haulage Cleaning Catering Events Dental Pharmacy Vets Accountancy "
    "Legal Architects Surveyors Interiors Flooring Glazing Carpentry Fitness Salon Florist "
    "Brewing Distillery Farm Dairy Fisheries Transport Removals Storage Printing Signs Software"
).split()
PLACES = (
    "Harbour Quay Bridge River Hill Valley Meadow Orchard Castle Abbey Park Green Forest Lake "
    "Northwind Southgate Eastfield Westbrook Highland Lowland Riverside Seaview Hillside "
    "Oakwood Ashford Elmstead Kingsway Queensway Victoria Albion Avalon Bright Silver Golden "
    "Red Blue Summit Crown Anchor Lighthouse Harbourside Moorland Fenland Cotswold Pennine"
).split()
SUFFIXES = ("Ltd", "Limited", "LLP", "Ltd.", "PLC", "& Co", "Inc", "")
SWAPPED_SUFFIX = {"Ltd": "Limited", "Limited": "Ltd", "LLP": "L.L.P.", "Ltd.": "Limited",
                  "PLC": "plc", "& Co": "and Co", "Inc": "Incorporated", "": "Ltd"}
FREE_MAIL = ("gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com")
STREETS = ("Quay Street", "High Street", "Station Road", "Church Lane", "Mill Road",
           "Park Avenue", "King Street", "Victoria Road", "Green Lane", "Bridge Street")


def run(quick: bool = False) -> list[dict]:
    """Return suggest()'s wall time, the name-only baseline, their ratio and peak memory."""
    size, repeat = (QUICK_SIZE, 1) if quick else (SIZE, 3)
    clients, contacts = make_clients_and_contacts(random.Random(SEED), size)

    rss_before = _max_rss_mib()
    suggest_seconds = min(_timed(lambda: suggest(contacts, clients)) for _ in range(repeat))
    rss_growth = _max_rss_mib() - rss_before

    tracemalloc.start()
    suggest(contacts, clients)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    contact_names = [normalise_name(contact["Name"]) for contact in contacts]
    client_names = [normalise_name(client["name"] or "") for client in clients]
    baseline_seconds = min(
        _timed(lambda: process.cdist(contact_names, client_names,
                                     scorer=fuzz.token_sort_ratio, workers=-1))
        for _ in range(repeat)
    )

    label = f"{size:,} x {size:,}"
    return [
        {"name": f"matching suggest() {label}", "value": round(suggest_seconds, 3),
         "unit": "s", "baseline": round(baseline_seconds, 3),
         "ratio": round(suggest_seconds / baseline_seconds, 2)},
        {"name": f"matching name-only cdist baseline {label}",
         "value": round(baseline_seconds, 3), "unit": "s", "baseline": None, "ratio": None},
        {"name": "matching suggest() peak traced memory", "value": round(traced_peak / 2**20, 1),
         "unit": "MiB", "baseline": None, "ratio": None},
        {"name": "matching suggest() peak RSS growth", "value": round(rss_growth, 1),
         "unit": "MiB", "baseline": None, "ratio": None},
    ]


def make_clients_and_contacts(rng: random.Random, size: int = SIZE) -> tuple[list, list]:
    """Return practice clients and Xero contacts, some of them the same business seen twice."""
    clients = [_client(rng, client_id) for client_id in range(1, size + 1)]
    contacts = []
    for number in range(size):
        if rng.random() < MATCHED_SHARE:
            contacts.append(_contact_from(rng, rng.choice(clients), number))
        else:
            contacts.append(_contact_from(rng, _client(rng, 0), number, linked=False))
    return clients, contacts


def _client(rng: random.Random, client_id: int) -> dict:
    postcode = f"{rng.choice(('BS', 'SW', 'M', 'LS', 'G', 'CF', 'EH'))}{rng.randint(1, 30)} " \
               f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    client = {
        "id": client_id, "reference": f"C{client_id:05d}",
        "phone": rng.choice(("020 ", "0117 ", "0161 ", "07")) + f"{rng.randint(10**7, 10**8 - 1)}",
        "address_line1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
        "city": rng.choice(("Bristol", "London", "Manchester", "Leeds", "Cardiff")),
        "postcode": postcode, "country": "GB",
    }
    if rng.random() < 0.3:
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        local = f"{first}.{last}{rng.randint(1, 99)}".lower().replace("'", "")
        client |= {"kind": "individual", "name": f"{first} {last}", "first_name": first,
                   "last_name": last, "email": f"{local}@{rng.choice(FREE_MAIL)}",
                   "tax_number": None}
    else:
        name = _business_name(rng)
        domain = normalise_name(name).replace(" ", "")[:20] + rng.choice((".co.uk", ".com"))
        client |= {"kind": "business", "name": name,
                   "email": f"{rng.choice(('hello', 'info', 'office'))}@{domain}",
                   "tax_number": f"GB{rng.randint(10**8, 10**9 - 1)}" if rng.random() < 0.4 else None}
    return client


def _business_name(rng: random.Random) -> str:
    pattern = rng.randrange(4)
    if pattern == 0:
        core = f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}"
    elif pattern == 1:
        core = f"{rng.choice(PLACES)} {rng.choice(TRADES)}"
    elif pattern == 2:
        core = f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)}"
    else:
        core = f"{rng.choice(PLACES)} {rng.choice(PLACES)} {rng.choice(TRADES)}"
    return f"{core} {rng.choice(SUFFIXES)}".strip()


def _contact_from(rng: random.Random, client: dict, number: int, linked: bool = True) -> dict:
    """Return the Xero contact a bookkeeper might have typed for this client."""
    name = _perturbed_name(rng, client["name"])
    email = client["email"]
    if rng.random() < 0.3:
        local, _, domain = email.partition("@")
        email = f"accounts@{domain}" if rng.random() < 0.5 else f"{local}@{rng.choice(FREE_MAIL)}"
    phone = client["phone"]
    if rng.random() < 0.5:
        phones = [{"PhoneType": "DEFAULT", "PhoneNumber": "+44 " + phone[1:]}]
    else:
        area, _, rest = phone.partition(" ")
        phones = [{"PhoneType": "DEFAULT", "PhoneCountryCode": "44",
                   "PhoneAreaCode": area[1:], "PhoneNumber": rest}]
    phones += [{"PhoneType": kind} for kind in ("DDI", "FAX", "MOBILE")]
    contact = {
        "ContactID": f"00000000-0000-4000-8000-{number:012d}", "Name": name,
        "EmailAddress": email if rng.random() < 0.9 else "",
        "Phones": phones if rng.random() < 0.8 else [],
        "Addresses": [{"AddressType": "POBOX"},
                      {"AddressType": "STREET", "AddressLine1": client["address_line1"],
                       "City": client["city"], "PostalCode": client["postcode"],
                       "Country": "United Kingdom"}],
        "TaxNumber": client.get("tax_number") or "",
        "ContactNumber": client["reference"] if linked and rng.random() < 0.2 else "",
        "IsCustomer": True,
    }
    if client.get("kind") == "individual":
        first, _, last = name.partition(" ")
        contact |= {"FirstName": first, "LastName": last}
    return contact


def _perturbed_name(rng: random.Random, name: str) -> str:
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if suffix and name.endswith(" " + suffix):
            name = name[: -len(suffix)] + SWAPPED_SUFFIX[suffix]
            break
    if rng.random() < 0.3:
        name = name.replace("&", "and") if "&" in name else name.replace("Cafe", "Café")
    if rng.random() < 0.2 and len(name) > 6:
        cut = rng.randrange(1, len(name) - 1)
        name = name[:cut] + name[cut + 1:]
    if rng.random() < 0.1:
        name = name.upper()
    return name


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print_table(results: list[dict]) -> None:
    print(f"{'benchmark':<48} {'value':>10} {'unit':<5} {'baseline':>9} {'ratio':>6}")
    for row in results:
        baseline = "" if row["baseline"] is None else f"{row['baseline']:.3f}"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(f"{row['name']:<48} {row['value']:>10} {row['unit']:<5} {baseline:>9} {ratio:>6}")


if __name__ == "__main__":
    _print_table(run())
