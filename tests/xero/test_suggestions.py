"""Stored match suggestions: refreshed a chunk of contacts at a time, same result as all at once."""
from sqlalchemy import select

from bm.extensions import db
from plugins.xero.models import ContactLink, MatchSuggestion, XeroContact
from plugins.xero.sync import suggestions

TENANT = "tenant-suggestions"


def _customer(number, name, email=""):
    contact_id = f"00000000-0000-4000-8000-{number:012d}"
    data = {"ContactID": contact_id, "Name": name, "EmailAddress": email, "IsCustomer": True}
    db.session.add(XeroContact(contact_id=contact_id, tenant_id=TENANT, name=name, is_customer=True, data=data))
    return contact_id


def _stored():
    db.session.expire_all()
    return sorted((row.contact_id, row.client_id, row.score, tuple(row.reasons))
                  for row in db.session.scalars(select(MatchSuggestion)))


def test_suggestions_refreshed_in_chunks_equal_those_made_at_once(app, make_client, monkeypatch):
    names = ["Harbour View Cafe", "Quay Street Bakery", "Hill Farm Dairy", "Northwind Traders", "Ashford Motors"]
    for name in names:
        make_client(name=f"{name} Ltd", email=f"office@{name.split()[0].lower()}.example")
    for number, name in enumerate(names + ["Nobody Alike"]):
        _customer(number, f"{name} Limited", f"office@{name.split()[0].lower()}.example")
    db.session.commit()

    monkeypatch.setattr(suggestions, "CHUNK", 100)
    at_once = suggestions.refresh_suggestions(TENANT), _stored()
    monkeypatch.setattr(suggestions, "CHUNK", 2)
    in_chunks = suggestions.refresh_suggestions(TENANT), _stored()

    assert in_chunks == at_once
    assert at_once[0] == len(names) and len(at_once[1]) >= len(names)


def test_a_contact_linked_since_loses_its_stored_suggestions(app, make_client, monkeypatch):
    monkeypatch.setattr(suggestions, "CHUNK", 1)
    client = make_client(name="Harbour View Cafe Ltd")
    linked = _customer(1, "Harbour View Cafe Limited")
    other = _customer(2, "Harbour View Café")
    db.session.commit()
    suggestions.refresh_suggestions(TENANT)
    assert {row[0] for row in _stored()} == {linked, other}

    db.session.add(ContactLink(client_id=make_client(name="Someone Else").id, tenant_id=TENANT, contact_id=linked))
    db.session.commit()
    suggestions.refresh_suggestions(TENANT)
    assert {row[0] for row in _stored()} == {other}
    assert {row[1] for row in _stored()} == {client.id}


def test_the_unlinked_lists_count_walks_its_sort_order(integrated, admin, count_statements):
    statements, expect = count_statements
    expect(2000)  # more customers than the count's cap of 1,000, as the planner sees it
    assert "Xero customers not linked" in admin.get("/tools/integrations/xero/").get_data(as_text=True)
    assert "ORDER BY xero_contacts.name, xero_contacts.contact_id" in statements[-1]
