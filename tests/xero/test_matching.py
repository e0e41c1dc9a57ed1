"""Tools > Integrations > Xero: each unlinked Xero client comes with practice clients ranked
by a percentage score, and the reasons for each score."""

import random

import pytest

from plugins.xero import matching
from plugins.xero.matching import FLOOR, explain, normalise_name, suggest
from plugins.xero.matching.candidates import candidates
from plugins.xero.matching.records import client_record, contact_record
from plugins.xero.matching.sides import Side
from plugins.xero.matching.text import fold
from .matching_cases import KINDS, book


def xero_contact(name="Harbour View Café Limited", **fields):
    """Return a Xero Contact as the Accounting API sends it, with only the given details."""
    contact = {"ContactID": fields.pop("ContactID", "c0ffee00-0000-4000-8000-000000000001"),
               "Name": name, "ContactStatus": "ACTIVE", "IsCustomer": True,
               "Addresses": [{"AddressType": "POBOX"}, {"AddressType": "STREET"}],
               "Phones": [{"PhoneType": kind} for kind in ("DEFAULT", "DDI", "FAX", "MOBILE")]}
    return contact | fields


def business(client_id=1, name="Harbour View Cafe Ltd", **fields):
    return {"id": client_id, "kind": "business", "name": name} | fields


def individual(client_id=1, first_name="Jane", last_name="Whitfield", **fields):
    return {"id": client_id, "kind": "individual", "name": None, "first_name": first_name,
            "last_name": last_name} | fields


def street(line1=None, postcode=None, **fields):
    return [{"AddressType": "POBOX"},
            {"AddressType": "STREET", "AddressLine1": line1, "PostalCode": postcode} | fields]


def phones(**default):
    return [{"PhoneType": "DEFAULT"} | default, {"PhoneType": "MOBILE"}]


def score(contact, client):
    return explain(contact, client).score


def ranked(found):
    """Return suggestions as (client id, score) pairs, best first."""
    return [(suggestion.client_id, suggestion.score) for suggestion in found]


# --- names ---------------------------------------------------------------------------------


def test_legal_suffix_and_diacritics_still_match():
    assert normalise_name("Harbour View Café Limited") == normalise_name("HARBOUR VIEW CAFE LTD")
    assert explain(xero_contact("Harbour View Café Limited"), business()).reasons == ["name 100"]


@pytest.mark.parametrize("suffix", ["Ltd", "Ltd.", "Limited", "Pty Ltd", "LLC", "LLP", "L.L.P.",
                                    "Inc", "Incorporated", "PLC", "GmbH", "Teoranta", "Co",
                                    "& Co", "Company", "Limited Liability Partnership"])
def test_legal_suffixes_are_ignored(suffix):
    assert normalise_name(f"Northwind Traders {suffix}") == "northwind traders"


def test_letters_that_stay_non_ascii_fold_like_the_rest():
    assert fold("Zoë Ørsted & Søn") == ["zoe", "ørsted", "and", "søn"]
    assert fold("Łukasz + Anna`s Café") == ["łukasz", "and", "annas", "cafe"]


def test_ampersand_and_punctuation_are_ignored():
    assert normalise_name("Patel & Sons Ltd") == normalise_name("Patel and Sons Limited")
    assert normalise_name("O'Brien's Bar, Cork") == normalise_name("OBriens Bar Cork")


def test_word_order_does_not_matter():
    assert explain(xero_contact("Whitfield, Jane"), business(name="Jane Whitfield")).reasons == [
        "name 100"]


def test_initials_match_the_full_first_name():
    initials = explain(xero_contact("J. Smith"), business(name="John Smith"))
    assert initials.reasons == ["name (initials) 95"]
    assert initials.score > score(xero_contact("J. Smith"), business(name="Mary Jones"))
    assert score(xero_contact("J Whitfield"), individual()) > score(
        xero_contact("M Whitfield"), individual())


def test_individuals_compare_first_and_last_names():
    contact = xero_contact("Whitfeld Jane (Mrs)", FirstName="Jane", LastName="Whitfeld")
    match = explain(contact, individual(first_name="Jane", last_name="Whitfield"))
    assert match.reasons == ["first/last name 96"]


def test_company_contact_person_does_not_make_a_business_an_individual():
    contact = xero_contact("Quayside Plumbing Ltd", FirstName="Jane", LastName="Whitfield")
    assert score(contact, individual()) < FLOOR


# --- email, phone, tax number, codes and address --------------------------------------------


def test_exact_email_is_strong_evidence():
    contact = xero_contact(EmailAddress="Hello@HarbourViewCafe.co.uk")
    match = explain(contact, business(email="hello@harbourviewcafe.co.uk"))
    assert match.reasons == ["name 100", "email exact"]
    assert match.score >= 95


def test_same_business_domain_is_weaker_evidence():
    contact = xero_contact(EmailAddress="accounts@harbourviewcafe.co.uk")
    same_domain = explain(contact, business(email="hello@harbourviewcafe.co.uk"))
    assert same_domain.reasons == ["name 100", "email domain"]
    assert score(contact, business()) < same_domain.score < score(
        contact, business(email="accounts@harbourviewcafe.co.uk"))


@pytest.mark.parametrize("domain", ["gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk",
                                    "yahoo.com", "icloud.com"])
def test_free_mail_domain_is_no_evidence(domain):
    match = explain(xero_contact("Jane Whitfield", EmailAddress=f"jane@{domain}"),
                    individual(email=f"j.whitfield@{domain}"))
    assert "email domain" not in match.reasons
    assert match.reasons[-1] == "email differs"


def test_email_of_a_contact_person_counts():
    contact = xero_contact(ContactPersons=[{"FirstName": "Ann", "EmailAddress": "ann@hvc.co.uk"}])
    assert "email exact" in explain(contact, business(email="ann@hvc.co.uk")).reasons


@pytest.mark.parametrize("xero_phone", [
    {"PhoneNumber": "020 7946 0011"},
    {"PhoneNumber": "+44 20 7946 0011"},
    {"PhoneNumber": "0044 (0)20 7946 0011"},
    {"PhoneCountryCode": "44", "PhoneAreaCode": "20", "PhoneNumber": "79460011"},
    {"PhoneCountryCode": "+44", "PhoneAreaCode": "020", "PhoneNumber": "7946-0011"},
    {"PhoneAreaCode": "020", "PhoneNumber": "7946 0011"},
    {"PhoneCountryCode": "44", "PhoneAreaCode": "20", "PhoneNumber": "+44 20 7946 0011"},
])
@pytest.mark.parametrize("practice_phone", ["+44 20 7946 0011", "020 7946 0011", "02079460011"])
def test_phone_matches_across_country_codes_and_trunk_zero(xero_phone, practice_phone):
    contact = xero_contact(Phones=phones(**xero_phone))
    assert "phone exact" in explain(contact, business(phone=practice_phone)).reasons


def test_different_phone_numbers_do_not_match():
    contact = xero_contact(Phones=phones(PhoneNumber="020 7946 0012"))
    assert explain(contact, business(phone="020 7946 0011")).reasons == ["name 100",
                                                                         "phone differs"]


def test_a_client_sharing_only_the_phone_is_found_among_many_with_closer_names():
    """The phone is a key: the client is a candidate though 38 others have closer names (more than
    the name neighbours kept per contact) and its own is too unlike to be compared."""
    contact = xero_contact("Harbour View Cafe Ltd", Phones=phones(PhoneNumber="020 7946 0011"))
    closer = [business(n, f"Harbour View Bakery {n}", phone=f"020 7000 {n:04d}") for n in range(2, 40)]
    renamed = business(1, "Quayside Catering Ltd", phone="+44 20 7946 0011")
    found = suggest([contact], closer + [renamed], limit=5)[contact["ContactID"]]
    assert [suggestion.client_id for suggestion in found] == [1]
    assert found[0].score >= FLOOR and "phone exact" in found[0].reasons


def test_matching_tax_numbers_confirm_a_match():
    match = explain(xero_contact("Northwind Traders", TaxNumber="GB 123 4567 89"),
                    business(name="Northwind Traders LLP", tax_number="123456789"))
    assert match.reasons == ["name 100", "tax number exact"]
    assert match.score >= 95


def test_conflicting_tax_numbers_drop_an_identical_name():
    contact = xero_contact("Northwind Traders", TaxNumber="GB123456789")
    conflicting = explain(contact, business(name="Northwind Traders", tax_number="GB987654321"))
    assert conflicting.reasons == ["name 100", "tax number differs"]
    assert conflicting.score < FLOOR < score(contact, business(name="Northwind Traders"))


def test_contact_number_equal_to_reference_is_very_strong():
    contact = xero_contact("Harbour View Trading", ContactNumber="HVC001")
    coded = business(1, "Harbour View Cafe Ltd", reference="hvc001")
    namesake = business(2, "Harbour View Trading Ltd", reference="HVT002")
    assert "reference = contact number" in explain(contact, coded).reasons
    assert [client_id for client_id, _ in ranked(suggest([contact], [namesake, coded])[
        contact["ContactID"]])] == [1, 2]


def test_account_number_matches():
    match = explain(xero_contact(AccountNumber="ACC-17"), business(account_number="acc-17"))
    assert match.reasons == ["name 100", "account number exact"]


def test_another_house_number_in_the_same_street_is_another_address():
    contact = xero_contact(Addresses=street("120 Windsor Place", "LS23 9XF"))
    assert "address line 1" not in " ".join(explain(contact, business(
        address_line1="42 Windsor Place")).reasons)
    same = explain(contact, business(address_line1="120 Windsor Plce"))
    assert same.reasons[-1] == "address line 1 97"


def test_postcode_and_street_count_as_address_evidence():
    contact = xero_contact(Addresses=street("12 Quay St", "bs14dj"))
    match = explain(contact, business(address_line1="12 Quay Street", postcode="BS1 4DJ"))
    assert match.reasons == ["name 100", "postcode exact", "address line 1 exact"]
    moved = explain(contact, business(address_line1="3 Mill Road", postcode="M1 1AA"))
    assert moved.reasons == ["name 100", "postcode differs"]
    assert moved.score < score(contact, business()) < match.score


# --- how evidence combines ------------------------------------------------------------------


def test_exact_name_alone_scores_in_the_low_eighties():
    assert 80 <= score(xero_contact("Patel and Sons Ltd"), business(name="Patel & Sons")) <= 85


def test_name_only_near_miss_does_not_outscore_real_match():
    contact = xero_contact("Harbour View Café Limited",
                           EmailAddress="accounts@harbourviewcafe.co.uk",
                           Phones=phones(PhoneNumber="020 7946 0011"))
    real = business(1, "Harbour View Cafe Ltd", email="hello@harbourviewcafe.co.uk",
                    phone="+44 20 7946 0011")
    near_miss = business(2, "Harbour Views Ltd")
    assert score(contact, near_miss) < 70
    assert score(contact, real) - score(contact, near_miss) >= 30


def test_near_miss_without_corroboration_scores_clearly_lower():
    contact = xero_contact("Smith Plumbing Ltd", EmailAddress="office@smithplumbing.co.uk")
    near_miss = score(contact, business(name="Smith Plumbing & Heating Ltd"))
    confirmed = score(contact, business(name="Smith Plumbing Ltd",
                                        email="office@smithplumbing.co.uk"))
    assert near_miss < 60
    assert confirmed >= 95


# --- trading, former, owner and joint names --------------------------------------------------


def test_trading_name_links_company_to_its_xero_trading_name():
    client = business(name="Smith & Jones Ltd t/a The Corner Bakery")
    match = explain(xero_contact("The Corner Bakery"), client)
    assert match.reasons == ["trading name 100"]
    assert match.score == score(xero_contact("Smith & Jones Limited"), client) == 82
    assert explain(xero_contact("Corner Bakery", EmailAddress="hello@cornerbakery.co.uk"),
                   client | {"email": "hello@cornerbakery.co.uk"}).score >= 95


@pytest.mark.parametrize("written", ["{} t/a {}", "{} T/A {}", "{} t/as {}", "{} trading as {}",
                                     "{} Trading As {}", "{} (t/a {})", "{} - t/a {}", "{} T.A. {}"])
def test_every_way_of_writing_trading_as_splits_the_name(written):
    contact = xero_contact(written.format("Smith & Jones Limited", "The Corner Bakery"))
    assert explain(contact, business(name="The Corner Bakery")).reasons == ["trading name 100"]
    assert explain(contact, business(name="Smith and Jones Ltd")).reasons == ["name 100"]


def test_a_word_that_only_contains_t_a_is_not_a_trading_name():
    assert normalise_name("Pat/a Patisserie") == "pat a patisserie"
    assert explain(xero_contact("Beta Traders"), business(name="Traders")).reasons != [
        "trading name 100"]


def test_former_name_matches_the_old_name():
    contact = xero_contact("Quay Kitchen Ltd (formerly Harbour View Cafe Ltd)")
    assert explain(contact, business()).reasons == ["former name 100"]
    assert explain(contact, business(name="Quay Kitchen")).reasons == ["name 100"]


def test_sole_trader_kept_as_the_person_meets_xero_business_first_and_last_name():
    contact = xero_contact("Bright Smile Dental", FirstName="Priya", LastName="Shah",
                           EmailAddress="priya.shah@gmail.com")
    person = individual(first_name="Priya", last_name="Shah", email="priya.shah@gmail.com")
    match = explain(contact, person)
    assert match.reasons == ["first/last name 92", "email exact"]
    assert match.score >= 95
    assert score(contact | {"EmailAddress": ""}, person) == 73


def test_owner_name_of_a_business_client_matches_the_xero_person():
    client = business(name="Bright Smile Dental", first_name="Priya", last_name="Shah")
    assert explain(xero_contact("Priya Shah"), client).reasons == ["owner name 92"]
    assert explain(xero_contact("P Shah"), client).reasons == ["owner name 87"]


def test_contact_person_of_a_sole_trader_matches_the_client():
    contact = xero_contact("Bright Smile Dental",
                           ContactPersons=[{"FirstName": "Priya", "LastName": "Shah"}])
    assert explain(contact, individual(first_name="Priya", last_name="Shah")).reasons == [
        "contact person 92"]


def test_two_words_guessed_to_be_a_person_are_not_an_owner_inside_another_name():
    match = explain(xero_contact("Smith Plumbing"), business(name="Smith Plumbing & Heating"))
    assert match.reasons[0].startswith("name ") and match.score < 60


def test_owner_whole_name_inside_the_business_name():
    contact = xero_contact("Stephen Davies", FirstName="Stephen", LastName="Davies")
    assert explain(contact, business(name="Stephen Davies Design")).reasons == ["owner name 92"]
    person = individual(first_name="Priya", last_name="Shah")
    assert explain(xero_contact("Priya Shah Dental"), person).reasons == ["owner name 92"]
    assert explain(xero_contact("Priya Shah Dental Ltd"), person).reasons != ["owner name 92"]


def test_a_company_is_not_its_directors_personal_client():
    contact = xero_contact("Quayside Plumbing Ltd", EmailAddress="jane.whitfield@gmail.com",
                           ContactPersons=[{"FirstName": "Jane", "LastName": "Whitfield"}])
    director = individual(email="jane.whitfield@gmail.com")
    renamed = business(name="Whitfield Heating Ltd", email="jane.whitfield@gmail.com")
    assert score(contact, director) < 30 < 80 <= score(contact, renamed)


@pytest.mark.parametrize("together, person, reason", [
    ("Mr & Mrs Patel", ("Anil", "Patel"), "joint name 80"),
    ("Mr and Mrs A Patel", ("Anil", "Patel"), "name (initials) 95"),
    ("A and B Patel", ("Bina", "Patel"), "joint name 95"),
    ("Anil & Bina Patel", ("Bina", "Patel"), "joint name 100"),
    ("Patel, Anil and Bina", ("Anil", "Patel"), "joint name 100"),
    ("Mr A & Mrs B Patel", ("Bina", "Patel"), "joint name 95"),
    ("Anil Patel and Bina Shah", ("Bina", "Shah"), "joint name 100"),
])
def test_joint_name_matches_one_of_the_couple(together, person, reason):
    client = individual(first_name=person[0], last_name=person[1])
    assert explain(xero_contact(together), client).reasons == [reason]
    practice_couple = individual(first_name="Anil & Bina", last_name="Patel") | {"name": together}
    if "Shah" not in together:
        assert explain(xero_contact("Bina Patel", FirstName="Bina", LastName="Patel"),
                       practice_couple).reasons[0].startswith("joint name")


def test_a_couple_is_not_someone_else_of_their_surname():
    match = explain(xero_contact("Anil & Bina Patel"), individual(first_name="Ravi", last_name="Patel"))
    assert match.reasons[1:] == ["first name differs"] and match.score == 0


def test_people_are_read_from_a_business_name_but_not_from_a_companys():
    contact = xero_contact("John Smith", FirstName="John", LastName="Smith")
    assert explain(contact, business(name="Mr & Mrs Smith")).reasons == ["joint name 80"]
    assert explain(contact, business(name="Mr & Mrs Smith Ltd")).reasons == ["name 67"]


def test_two_firms_are_not_a_couple():
    match = explain(xero_contact("Harris & Brown Partnership"),
                    business(name="Harris & Wright Partnership"))
    assert match.reasons[0].startswith("name ") and match.score < FLOOR


# --- renamed businesses, namesakes and uncertainty ---------------------------------------------


def test_renamed_business_is_found_by_what_still_agrees():
    contact = xero_contact("Quay Kitchen Ltd", EmailAddress="hello@harbourviewcafe.co.uk",
                           Phones=phones(PhoneNumber="020 7946 0011"))
    client = business(email="hello@harbourviewcafe.co.uk", phone="+44 20 7946 0011")
    assert explain(contact, client).reasons[1:] == ["email exact", "phone exact"]
    assert score(contact, client) == 98
    assert score(contact, business(email="hello@harbourviewcafe.co.uk")) == 88
    assert score(contact, business()) == 0


def test_a_name_sharing_words_with_another_business_is_no_match():
    assert score(xero_contact("Matthews & Holmes Partnership"),
                 business(name="Howard & Matthews Partnership")) < FLOOR
    assert score(xero_contact("Harbour View Cafe"), business(name="Harbour View Café")) == 82


def test_misspelt_limited_is_still_a_legal_suffix():
    assert normalise_name("Market Harbour Plumbing Limitede") == "market harbour plumbing"
    assert normalise_name("Harbour Lmited") == "harbour" and normalise_name("Lime") == "lime"


def test_same_surname_different_first_name_is_another_person():
    household = {"address_line1": "188 Queen Grove", "postcode": "M34 1JA", "phone": "0161 351 1459"}
    contact = xero_contact("Karen Johnson", FirstName="Karen", LastName="Johnson",
                           Addresses=street("188 Queen Grove", "M34 1JA"),
                           Phones=phones(PhoneNumber="0161 351 1459"))
    husband = explain(contact, individual(first_name="Yusuf", last_name="Johnson", **household))
    assert husband.reasons[1:] == ["first name differs", "phone exact", "postcode exact",
                                   "address line 1 exact"]
    assert husband.score < 10
    assert score(contact, individual(first_name="Karen", last_name="Johnson", **household)) == 99


@pytest.mark.parametrize("first, other", [("Jon", "John"), ("Chris", "Christopher"),
                                          ("J", "Jane"), ("Ann", "Anne"), ("Dave", "David"),
                                          ("Bob", "Robert"), ("Harry", "Henry")])
def test_spellings_and_short_forms_of_a_first_name_are_the_same_person(first, other):
    match = explain(xero_contact(f"{first} Smith", FirstName=first, LastName="Smith"),
                    individual(first_name=other, last_name="Smith"))
    assert "first name differs" not in match.reasons and match.score >= 70


def test_two_equal_candidates_are_not_both_certain():
    home = {"address_line1": "54 London Grove", "postcode": "LS28 1EP", "phone": "0113 496 0000"}
    couple = [individual(1, "John", "Smith", **home), individual(2, "Jane", "Smith", **home)]
    contact = xero_contact("J Smith", ContactID="j", Addresses=street("54 London Grove", "LS28 1EP"),
                           Phones=phones(PhoneNumber="0113 496 0000"))
    assert [score(contact, person) for person in couple] == [99, 99]
    found = suggest([contact], couple)["j"]
    assert [(suggestion.client_id, suggestion.score) for suggestion in found] == [(1, 50), (2, 50)]
    assert all(suggestion.reasons[-1] == "other clients match as well" for suggestion in found)


def test_the_field_that_tells_namesakes_apart_decides():
    twins = [individual(1, "John", "Smith", email="john.smith@gmail.com"),
             individual(2, "John", "Smith", email="jsmith@outlook.com")]
    contact = xero_contact("John Smith", ContactID="j", EmailAddress="jsmith@outlook.com")
    found = ranked(suggest([contact], twins)["j"])
    assert found[0][0] == 2 and found[0][1] >= 90 and found[1][1] < 10


def test_a_clear_winner_keeps_its_own_score_and_a_far_runner_up_shows_one_percent():
    contact = xero_contact(ContactID="h", EmailAddress="hello@harbourviewcafe.co.uk",
                           Phones=phones(PhoneNumber="020 7946 0011"))
    clients = [business(1, email="hello@harbourviewcafe.co.uk", phone="020 7946 0011"),
               business(2, "Harbour Bakery"), business(3, "Quayside View Cafe")]
    assert ranked(suggest([contact], clients)["h"]) == [(1, score(contact, clients[0]))]
    clients.append(business(4, "Harbour View Cafe Co"))  # 82 on its own
    found = suggest([contact], clients)["h"]
    assert [(suggestion.client_id, suggestion.score) for suggestion in found] == [(1, 98), (4, 1)]
    assert found[1].reasons == ["name 100", "another client matches better"]


def test_shares_of_one_contact_never_add_up_to_more_than_100():
    namesakes = [business(client_id, "Harbour View Cafe Ltd") for client_id in range(1, 8)]
    found = suggest([xero_contact(ContactID="h")], namesakes, limit=10)["h"]
    assert len(found) == 7 and sum(suggestion.score for suggestion in found) <= 100


def test_initials_and_surnames_find_clients_beyond_the_name_neighbours():
    decoys = [business(client_id, f"Brookes J{letter}") for client_id, letter in
              enumerate("ABCDEFGHKLMNP", start=10)]  # every one nearer "J Brookes" than John is
    john = individual(1, "John", "Brookes", address_line1="44 Market Road", postcode="OX8 7JR")
    for name in ("Mr & Mrs Brookes", "J Brookes"):
        contact = xero_contact(name, ContactID="b", Addresses=street("44 Market Rd", "OX8 7JR"))
        assert ranked(suggest([contact], decoys + [john])["b"])[0][0] == 1


def candidate_ids(contact, clients, neighbours=2):
    """The ids of the clients scored against ``contact`` when each contact keeps ``neighbours`` name neighbours."""
    vocabulary = {}
    clients_side = Side([client_record(client) for client in clients], vocabulary, indexed=True)
    contacts_side = Side([contact_record(contact)], vocabulary)
    return {clients[column]["id"] for _, columns in candidates(contacts_side, clients_side, neighbours, 10**6)
            for column in columns}


def test_a_shared_key_makes_a_candidate_whatever_the_name_even_the_first_key_interned():
    # the client's tax number is the first value the matching interns (its id is 0)
    renamed = business(1, "Quayside Catering Ltd", tax_number="GB123456789")
    decoys = [business(client_id, f"Northwind Trading {client_id}") for client_id in range(10, 15)]
    contact = xero_contact("Northwind Traders", TaxNumber="GB123456789")
    assert {1} <= candidate_ids(contact, [renamed] + decoys)
    assert ranked(suggest([contact], [renamed] + decoys)[contact["ContactID"]])[0][0] == 1


def test_a_person_known_only_by_surname_finds_the_clients_of_that_surname():
    decoys = [business(client_id, f"Brookes J{letter}") for client_id, letter in enumerate("ABCDEFGH", start=10)]
    john, mary = individual(1, "John", "Brookes"), individual(2, "Mary", "Brookes")
    assert {1, 2} <= candidate_ids(xero_contact("Mr and Mrs Brookes"), decoys + [john, mary])
    assert {1, 2}.isdisjoint(candidate_ids(xero_contact("Mr and Mrs Brooke"), decoys + [john, mary]))


# --- the demo data: each true pair leads, above 85, among decoys ------------------------------


DEMO_CLIENTS = [
    business(1, "Harbour View Cafe Ltd", email="hello@harbourviewcafe.co.uk",
             phone="+44 20 7946 0011", address_line1="12 Quay Street", city="Bristol",
             postcode="BS1 4DJ", country="GB", reference="C0001"),
    business(2, "Patel & Sons Limited", email="office@patelandsons.co.uk", phone="0117 496 0123"),
    individual(3, "Jane", "Whitfield", email="jane.whitfield@gmail.com", phone="07700 900123"),
    business(4, "Northwind Traders LLP", tax_number="GB123456789", email="ap@northwind.example"),
    business(5, "Harbour Views Ltd", email="info@harbourviews.co.uk", postcode="BS8 1AA"),
    business(6, "Patel Sons Holdings Ltd"),
    individual(7, "John", "Whitfield", email="jw@outlook.com"),
    business(8, "Northwind Trading Co", tax_number="GB999999999"),
    business(9, "Smith Plumbing & Heating Ltd", email="office@smithplumbing.co.uk"),
    individual(10, "Jane", "Whitfield-Jones"),
]

DEMO_CONTACTS = {
    1: xero_contact("Harbour View Café Limited", ContactID="harbour",
                    EmailAddress="accounts@harbourviewcafe.co.uk",
                    Phones=phones(PhoneNumber="020 7946 0011"),
                    Addresses=street("12 Quay Street", City="Bristol")),
    2: xero_contact("Patel and Sons Ltd", ContactID="patel",
                    EmailAddress="office@patelandsons.co.uk"),
    3: xero_contact("Jane Whitfeld", ContactID="whitfeld", FirstName="Jane",
                    LastName="Whitfeld", EmailAddress="jane.whitfield@gmail.com"),
    4: xero_contact("Northwind Traders", ContactID="northwind", TaxNumber="GB123456789"),
}


@pytest.mark.parametrize("client_id", sorted(DEMO_CONTACTS))
def test_demo_pairs_are_the_top_suggestion_above_85(client_id):
    contact = DEMO_CONTACTS[client_id]
    best_id, best_score, _ = suggest(list(DEMO_CONTACTS.values()), DEMO_CLIENTS)[
        contact["ContactID"]][0]
    assert (best_id, best_score >= 85) == (client_id, True)


# --- suggest(): shape, order and agreement with explain() -----------------------------------


def test_every_contact_gets_a_key_even_without_suggestions():
    contacts = [xero_contact("Zebra Crossings Ltd", ContactID="z"), xero_contact(ContactID="h")]
    assert suggest(contacts, [business()]) == {"z": [], "h": [(1, 82, ["name 100"])]}


def test_suggest_handles_empty_inputs():
    assert suggest([], [business()]) == {}
    assert suggest([xero_contact(ContactID="h")], []) == {"h": []}
    assert suggest([xero_contact(ContactID="h")], [business()], limit=0) == {"h": []}


def test_clients_without_an_id_are_not_suggested():
    assert suggest([xero_contact(ContactID="h")], [business(None)]) == {"h": []}


def test_suggestions_are_best_first_and_honour_the_limit():
    contacts = list(DEMO_CONTACTS.values())
    for limit in (1, 2, 3):
        for found in suggest(contacts, DEMO_CLIENTS, limit=limit).values():
            scores = [found_score for _, found_score in ranked(found)]
            assert len(found) <= limit
            assert scores == sorted(scores, reverse=True)



def test_ties_are_broken_by_client_id():
    twins = [business(client_id) for client_id in (7, 3, 5)]
    contact = xero_contact(ContactID="h")
    assert [client_id for client_id, _ in ranked(suggest([contact], twins)["h"])] == [3, 5, 7]
    assert [client_id for client_id, _ in ranked(suggest([contact], twins[::-1], limit=2)["h"])] == [3, 5]
    assert len({found_score for _, found_score in ranked(suggest([contact], twins)["h"])}) == 1


def test_ties_beyond_the_shortlist_still_go_to_the_lowest_ids():
    namesakes = [business(client_id) for client_id in range(60, 0, -1)]
    found = suggest([xero_contact(ContactID="h")], namesakes, limit=3)["h"]
    assert [client_id for client_id, _ in ranked(found)] == [1, 2, 3]


def test_suggest_ranks_as_explain_scores_and_gives_the_same_reasons():
    contacts = list(DEMO_CONTACTS.values())
    found = suggest(contacts, DEMO_CLIENTS, limit=len(DEMO_CLIENTS))
    for contact in contacts:
        own = {client["id"]: explain(contact, client) for client in DEMO_CLIENTS}
        expected = sorted((client_id for client_id, match in own.items() if match.score >= FLOOR),
                          key=lambda client_id: (-own[client_id].score, client_id))
        suggestions = found[contact["ContactID"]]
        assert [suggestion.client_id for suggestion in suggestions] == expected
        for suggestion in suggestions:
            assert suggestion.reasons[:len(own[suggestion.client_id].reasons)] == own[
                suggestion.client_id].reasons
            assert suggestion.score <= own[suggestion.client_id].score


def test_a_client_sharing_an_email_is_found_beyond_the_name_neighbours():
    namesakes = [business(client_id, "Harbour View Cafe Ltd") for client_id in range(2, 40)]
    renamed = business(100, "HVC Hospitality", email="accounts@harbourviewcafe.co.uk",
                       phone="020 7946 0011")
    contact = xero_contact(ContactID="h", EmailAddress="accounts@harbourviewcafe.co.uk",
                           Phones=phones(PhoneNumber="+44 20 7946 0011"))
    found = suggest([contact], namesakes + [renamed], limit=40)["h"]
    assert 100 in [client_id for client_id, _ in ranked(found)]


def test_results_do_not_depend_on_how_the_name_matrix_is_chunked(monkeypatch):
    contacts = list(DEMO_CONTACTS.values()) * 3
    whole = suggest(contacts, DEMO_CLIENTS)
    monkeypatch.setattr(matching, "_CHUNK_CELLS", 1)
    assert suggest(contacts, DEMO_CLIENTS) == whole


# --- anything may be missing ------------------------------------------------------------------


def _junk(rng):
    return rng.choice([None, "", " ", "  \t", 0, 42, "Ltd", "&", "...", "Ó", "@", "a@", "@b",
                       "x@gmail.com", "+", "+44", "0", "00", "GB", "Café & Co Ltd",
                       "J.", "020 7946 0011", [], {}, [None], [{}], [{"PhoneNumber": None}]])


CONTACT_FIELDS = ["ContactID", "Name", "FirstName", "LastName", "EmailAddress", "ContactNumber",
                  "AccountNumber", "TaxNumber", "Addresses", "Phones", "ContactPersons"]
CLIENT_FIELDS = ["id", "reference", "kind", "name", "first_name", "last_name", "email", "phone",
                 "address_line1", "address_line2", "city", "region", "postcode", "country",
                 "tax_number", "account_number"]
NESTED = {"Addresses": ["AddressType", "AddressLine1", "PostalCode", "City"],
          "Phones": ["PhoneType", "PhoneNumber", "PhoneAreaCode", "PhoneCountryCode"],
          "ContactPersons": ["FirstName", "LastName", "EmailAddress"]}


def _random_record(rng, fields):
    record = {}
    for field in rng.sample(fields, rng.randint(0, len(fields))):
        if field in NESTED and rng.random() < 0.6:
            record[field] = [{key: _junk(rng) for key in rng.sample(NESTED[field], 2)}, None]
        else:
            record[field] = _junk(rng)
    return record


def test_missing_empty_and_none_fields_never_crash():
    rng = random.Random(1729)
    contacts = [_random_record(rng, CONTACT_FIELDS) for _ in range(150)]
    clients = [_random_record(rng, CLIENT_FIELDS) for _ in range(150)]
    for contact, client in zip(contacts, clients):
        match = explain(contact, client)
        assert 0 <= match.score <= 100
        assert all(isinstance(reason, str) and reason for reason in match.reasons)
    for number, contact in enumerate(contacts):
        contact["ContactID"] = f"contact-{number}"
    found = suggest(contacts, clients)
    assert sorted(found) == sorted(contact["ContactID"] for contact in contacts)
    assert all(0 <= found_score <= 100 for pairs in found.values() for _, found_score in ranked(pairs))
    assert explain({}, {}).score == explain(None, None).score


# --- the evaluation books (tests/xero/matching_cases.py) ---------------------------------------


def test_evaluation_books_are_the_same_on_every_run_and_the_splits_differ():
    dev = book("dev", scale=0.05)
    assert dev == book("dev", scale=0.05)
    assert set(dev.kinds.values()) == set(KINDS)
    assert {client["id"] for client in dev.clients} >= {truth for truth in dev.truth.values() if truth}
    held_out = book("held-out", scale=0.05)
    assert {contact["Name"] for contact in dev.contacts} != {contact["Name"] for contact in held_out.contacts}
