"""Benchmark Xero contact matching: its speed at 10,000 x 10,000 and its accuracy by kind of case.

Speed: the baseline is the cheapest thing that could be called matching, a name-only rapidfuzz
cdist (token sort ratio, all cores) over the same normalised names. suggest() should stay
within 3x of it and under 5 s, without holding a full float matrix in memory.

Accuracy: suggest() over the practice books of tests/xero/matching_cases.py, the "dev" split
(tuned on) and the "held-out" split (only measured), scored per kind of case.

Run it alone with ``python -m tests.bench.bench_matching``; ``--before REV`` instead prints
the accuracy and speed of the matcher as it was at git revision REV next to today's, from one
run (README's before/after).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from pathlib import Path

from rapidfuzz import fuzz, process

from plugins.xero.matching import normalise_name, suggest
from tests.bench.__main__ import print_table
from tests.xero.matching_cases import KINDS, SPLITS, book

SIZE = 10_000
QUICK_SIZE = 500  # `make bench-quick`: the same code paths in a second
QUICK_BOOK = 0.05  # and books a twentieth of the usual size
LARGE_BOOK = 4  # books of 10,000 contacts (and some 17,000 clients) for speed on realistic data
SEED = 20240601
GOAL_RATIO = 3  # suggest() at most 3 x a name-only cdist over the same names (issue 15)
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
    """Return the speed rows, then print each split's accuracy table and return its summary."""
    size = QUICK_SIZE if quick else SIZE
    clients, contacts = make_clients_and_contacts(random.Random(SEED), size)
    rows = memory(contacts, clients)  # first: the baseline's float matrix would set the peak
    rows += speed(contacts, clients, f"{size:,} x {size:,}", repeat=1 if quick else 3)
    large = book("held-out", scale=QUICK_BOOK if quick else LARGE_BOOK)
    rows += speed(large.contacts, large.clients,
                  f"books {len(large.contacts):,} x {len(large.clients):,}", repeat=1 if quick else 3)
    for split in SPLITS:
        scores = accuracy(book(split, scale=QUICK_BOOK if quick else 1.0))
        print(f"\nMatching accuracy, {split} split (%; suggestions at or above 80/90 counted):")
        print(accuracy_table(scores))
        rows += accuracy_rows(split, scores)
    return rows


def speed(contacts: list[dict], clients: list[dict], label: str, repeat: int,
          matcher=suggest) -> list[dict]:
    """Return the matcher's time against the name-only baseline's, wall clock and CPU (all
    threads), each the best of `repeat` runs taken in turns so load on the machine hits both."""
    contact_names = [normalise_name(contact["Name"]) for contact in contacts]
    client_names = [normalise_name(client["name"] or "") for client in clients]
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(_timed(lambda: matcher(contacts, clients)))
        theirs.append(_timed(lambda: process.cdist(contact_names, client_names,
                                                   scorer=fuzz.token_sort_ratio, workers=-1)))
    rows = []
    for clock, index in (("", 0), (" CPU", 1)):
        mine, baseline = min(run[index] for run in ours), min(run[index] for run in theirs)
        rows.append({"name": f"matching suggest(){clock} {label}", "value": round(mine, 3),
                     "unit": "s", "baseline": round(baseline, 3), "ratio": round(mine / baseline, 2),
                     "goal": f"<= {GOAL_RATIO} x name-only cdist", "met": mine <= GOAL_RATIO * baseline})
    return rows


def memory(contacts: list[dict], clients: list[dict]) -> list[dict]:
    """Return how much a run of suggest() grew the peak RSS, and its peak traced memory."""
    rss_before = _max_rss_mib()
    suggest(contacts, clients)
    rss_growth = _max_rss_mib() - rss_before
    tracemalloc.start()
    suggest(contacts, clients)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        {"name": "matching suggest() peak traced memory", "value": round(traced_peak / 2**20, 1),
         "unit": "MiB", "baseline": None, "ratio": None},
        {"name": "matching suggest() peak RSS growth", "value": round(rss_growth, 1),
         "unit": "MiB", "baseline": None, "ratio": None},
    ]


# --- accuracy ---------------------------------------------------------------------------------

SUGGESTIONS = 5  # as many as the Xero page stores per contact
COLUMNS = ("contacts", "top-1", "recall@3", "precision >=80", "precision >=90", "true pair >=80",
           "no counterpart >=80")
DECIDABLE = "all but undecidable"


def accuracy(practice, matcher=suggest) -> dict[str, dict]:
    """Return each kind's counts of what the matcher's suggest() got right and wrong, and the
    totals (`matcher` another version of suggest() to compare with)."""
    found = matcher(practice.contacts, practice.clients, limit=SUGGESTIONS)
    tallies: dict[str, dict] = {}
    for contact_id, kind in practice.kinds.items():
        truth = practice.truth[contact_id]
        ranked = [(client_id, score) for client_id, score, *_ in found[contact_id]]
        tally = [(client_id == truth, score) for client_id, score in ranked]
        for group in (kind, "all") + ((DECIDABLE,) if kind != "undecidable" else ()):
            counts = tallies.setdefault(group, dict.fromkeys(
                ("contacts", "paired", "top1", "top3", "sure80", "right80", "at80", "right90",
                 "at90", "unpaired", "unpaired80"), 0))
            counts["contacts"] += 1
            counts["at80"] += sum(score >= 80 for _, score in tally)
            counts["right80"] += sum(right and score >= 80 for right, score in tally)
            counts["at90"] += sum(score >= 90 for _, score in tally)
            counts["right90"] += sum(right and score >= 90 for right, score in tally)
            if truth is None:
                counts["unpaired"] += 1
                counts["unpaired80"] += any(score >= 80 for _, score in tally)
                continue
            counts["paired"] += 1
            counts["top1"] += bool(tally) and tally[0][0]
            counts["top3"] += any(right for right, _ in tally[:3])
            counts["sure80"] += any(right and score >= 80 for right, score in tally)
    return tallies


def accuracy_table(tallies: dict[str, dict], before: dict[str, dict] | None = None) -> str:
    """Return the tallies as a Markdown table, one row per kind of case; with `before`, each
    cell reads "before → now"."""
    lines = ["| kind | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for group in [*KINDS, DECIDABLE, "all"]:
        if group not in tallies:
            continue
        cells = _cells(tallies[group])
        if before is not None:
            cells = [old if old == new else f"{old} → {new}"
                     for old, new in zip(_cells(before[group]), cells)]
        lines.append(f"| {KINDS.get(group, group)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cells(counts: dict) -> list[str]:
    return [str(counts["contacts"]), _share(counts["top1"], counts["paired"]),
            _share(counts["top3"], counts["paired"]),
            _share(counts["right80"], counts["at80"], show_count=True),
            _share(counts["right90"], counts["at90"], show_count=True),
            _share(counts["sure80"], counts["paired"]),
            _share(counts["unpaired80"], counts["unpaired"])]


def accuracy_rows(split: str, tallies: dict[str, dict]) -> list[dict]:
    """Return the split's headline figures as benchmark rows."""
    decidable, every = tallies[DECIDABLE], tallies["all"]
    figures = {
        "top-1, all but undecidable": (decidable["top1"], decidable["paired"]),
        "wrong pairs among suggestions >=80": (every["at80"] - every["right80"], every["at80"]),
        "no counterpart yet a suggestion >=80": (every["unpaired80"], every["unpaired"]),
    }
    return [{"name": f"matching {split} {label}", "value": round(100 * part / whole, 2) if whole else None,
             "unit": "%", "baseline": None, "ratio": None} for label, (part, whole) in figures.items()]


def _share(part: int, whole: int, show_count: bool = False) -> str:
    if not whole:
        return "–"
    share = f"{100 * part / whole:.1f}"
    return f"{share} ({whole})" if show_count else share


# --- speed data --------------------------------------------------------------------------------


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


def _timed(action) -> tuple[float, float]:
    """Return how long the action took: wall clock, and CPU time of all this process's threads."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - cpu


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- before and after -------------------------------------------------------------------------


def compare(revision: str) -> None:
    """Print, from one run, each split's accuracy and the speed of the matcher at `revision`
    next to today's."""
    earlier = _matcher_at(revision)
    for split in SPLITS:
        practice = book(split)
        print(f"\nMatching accuracy, {split} split, {revision} → now (%; suggestions at or above "
              f"80/90 counted):")
        print(accuracy_table(accuracy(practice), before=accuracy(practice, earlier)))
    clients, contacts = make_clients_and_contacts(random.Random(SEED))
    large = book("held-out", scale=LARGE_BOOK)
    rows = []
    for label, (people, practice) in {f"{SIZE:,} x {SIZE:,}": (contacts, clients),
                                      f"books {len(large.contacts):,} x {len(large.clients):,}":
                                      (large.contacts, large.clients)}.items():
        for when, matcher in ((revision, earlier), ("now", suggest)):
            rows += speed(people, practice, f"{label} ({when})", repeat=3, matcher=matcher)
    print()
    print_table(rows)


def _matcher_at(revision: str):
    """Return suggest() as plugins/xero/matching had it at the git revision (a module, later a package)."""
    root = Path(__file__).resolve().parents[2]
    folder = Path(tempfile.mkdtemp())
    archive = subprocess.run(["git", "archive", revision, "plugins/xero"], cwd=root, capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "plugins/xero/matching"
    if package.is_dir():
        spec = importlib.util.spec_from_file_location("matching_then", package / "__init__.py",
                                                      submodule_search_locations=[str(package)])
    else:
        spec = importlib.util.spec_from_file_location("matching_then", package.with_suffix(".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module.suggest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_matching")
    parser.add_argument("--before", metavar="REV", help="compare with the matcher at this git revision")
    options = parser.parse_args()
    if options.before:
        compare(options.before)
    else:
        print_table(run())
