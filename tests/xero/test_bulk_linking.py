"""Explainable matches and "Link all at 95% or above", with its review screen and undo, against the sandbox."""
import re

from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from plugins.xero.models import ContactLink, FieldChange, LinkBatch, OutboxEntry

from .support import client_named, contact_id_of, flashes, html, link_of, listed

XERO = "/tools/integrations/xero"
STRONG = {  # the demo company's customers that match a demo client at 95% or above
    "Harbour View Café Limited": "Harbour View Cafe Ltd",
    "Northwind Traders": "Northwind Traders LLP",
    "Patel and Sons Ltd": "Patel & Sons Limited",
    "Jane Whitfeld": "Jane Whitfield",
}


def live_links():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ContactLink).where(ContactLink.archived_at.is_(None)))


def pairs_on(review):
    """The pairs ticked on the review screen, as the form would post them."""
    return re.findall(r'name="pair" value="([^"]+)" checked', review)


def said(page):
    """Every message at the top of a page, in plain text."""
    return " | ".join(text for _kind, text in flashes(page))


def review(browser, threshold=95):
    return html(browser.get(f"{XERO}/link-all?threshold={threshold}"))


def link_all(browser, pairs, use="practice", threshold=95):
    return html(browser.post(f"{XERO}/link-all", {"pair": pairs, "use": use, "threshold": threshold},
                             follow_redirects=True))


def undo(browser, page):
    action = re.search(r'<form id="undo-batch-\d+" method="post" action="([^"]+)"', page).group(1)
    return html(browser.post(action, follow_redirects=True))


# -- explainable matches -----------------------------------------------------------------------


def test_suggestions_say_why(integrate, demo_clients, admin):
    services.create_client({"name": "Patel and Son"})
    db.session.commit()
    integrate()
    page = html(admin.get(f"{XERO}/"))
    # the preselected suggestion's reasons are shown under the dropdown
    assert "Why Patel &amp; Sons Limited: name 100, email exact, phone exact" in page
    assert "Why Jane Whitfield: first/last name 96, email exact" in page
    # and every option's reasons are available, in the option and in a list under it
    row = re.search(r"<strong>Patel and Sons Ltd</strong>.*?</tr>", page, re.S).group(0)
    # the candidates share the certainty: the near namesake takes 1% from the confirmed match
    assert re.search(r'<option value="\d+" selected title="name 100, email exact, phone exact">99% – Patel &amp; Sons Limited', row)
    assert "Why each suggestion" in row
    assert "<li>1% Patel and Son: name 95, another client matches better</li>" in row


# -- Link all at 95% or above ------------------------------------------------------------------


def test_link_all_at_95_links_the_strong_matches_after_review(integrated, admin):
    assert "Link all at 95% or above" in html(admin.get(f"{XERO}/"))
    page = review(admin)
    for contact, client in STRONG.items():  # every pair, with its score and reasons
        assert re.search(rf"<strong>{re.escape(contact)}</strong>.*?{re.escape(client.replace('&', '&amp;'))}"
                         r".*?<td class=\"num\">\d+%</td>\s*<td>name|<strong>.*first/last name", page, re.S)
    assert "name 100, email exact, phone exact" in page and "first/last name 96, email exact" in page
    assert len(pairs_on(page)) == 4
    assert live_links() == 0  # the review screen links nothing

    jane = next(pair for pair in pairs_on(page) if pair.startswith(contact_id_of("Jane Whitfeld")))
    result = link_all(admin, [pair for pair in pairs_on(page) if pair != jane])  # Jane unticked
    assert "Linked 3 clients to their Xero contacts." in result
    assert re.search(r'<button class="button secondary" form="undo-batch-(\d+)">Undo</button>', result)
    batch = db.session.scalar(select(LinkBatch))
    assert batch.threshold == 95 and batch.made_by == "admin@example.com"
    for contact, client in STRONG.items():
        link = link_of(client_named(client))
        if contact == "Jane Whitfeld":
            assert link is None and listed(result, contact)
        else:
            assert link.contact_id == contact_id_of(contact) and link.link_batch_id == batch.id
            assert not listed(result, contact)
    assert "3 links made together at 95% or above by admin@example.com" in result
    assert "Undo these links</button>" in result


def test_the_threshold_can_be_changed(integrated, admin):
    assert len(pairs_on(review(admin, 99))) == 3  # Jane Whitfeld scores 98
    assert "Lowest match score (%)" in review(admin, 99)
    assert len(pairs_on(review(admin, 10))) == 4  # never below 50, and only each contact's best
    assert 'value="50"' in review(admin, 10)


def test_link_all_with_the_practice_data_updates_xero_on_the_next_sync(integrated, admin, sync_now, in_xero):
    harbour = contact_id_of("Harbour View Café Limited")
    result = link_all(admin, pairs_on(review(admin)), use="practice")
    assert "Xero gets the practice's values on the next sync" in said(result)
    assert client_named("Harbour View Cafe Ltd") is not None  # nothing changed here
    sync_now()
    contact = in_xero.call("GET", f"Contacts/{harbour}")["Contacts"][0]
    assert contact["Name"] == "Harbour View Cafe Ltd" and contact["EmailAddress"] == "hello@harbourviewcafe.co.uk"


def test_link_all_with_the_xero_data_updates_the_practice_now(integrated, admin):
    link_all(admin, pairs_on(review(admin)), use="xero")
    client = client_named("Patel and Sons Ltd")
    assert client is not None and client.phone == "0161 4960123"
    assert client_named("Northwind Traders") is not None


def test_a_client_best_for_two_contacts_is_linked_once_to_the_higher_score(integrated, admin, in_xero, sync_now):
    twin = in_xero.create_contact(Name="Patel & Sons", EmailAddress="info@patelandsons.co.uk")
    in_xero.raise_invoice(twin["ContactID"])  # a customer now
    sync_now()
    page = review(admin)
    assert len([pair for pair in pairs_on(page) if pair.endswith(f"|{client_named('Patel & Sons Limited').id}")]) == 1
    assert "Patel &amp; Sons Limited is linked to Patel and Sons Ltd instead, the better match" in page
    result = link_all(admin, pairs_on(page))
    assert link_of(client_named("Patel & Sons Limited")).contact_id == contact_id_of("Patel and Sons Ltd")
    assert ("warning", "Not linked: Patel & Sons Limited is linked to Patel and Sons Ltd instead, "
                       "the better match (100% against 98%).") in flashes(result)
    assert listed(result, "Patel &amp; Sons")


def test_pairs_linked_meanwhile_are_skipped_with_a_note(integrated, admin):
    page = review(admin)
    patel = client_named("Patel & Sons Limited")
    admin.post(f"{XERO}/contacts/{contact_id_of('Patel and Sons Ltd')}/merge", {"client_id": patel.id, "use": "xero"})
    result = link_all(admin, pairs_on(page))
    assert "Linked 3 clients" in said(result)
    assert "Not linked: Patel and Sons Ltd is already linked to a Xero contact." in said(result)
    assert db.session.scalar(select(ContactLink.link_batch_id).where(ContactLink.client_id == patel.id)) is None


def test_link_all_needs_the_form_token(integrated, admin):
    pairs = pairs_on(review(admin))
    refused = admin.post(f"{XERO}/link-all", {"pair": pairs, "use": "practice", "threshold": 95}, csrf=False)
    assert refused.status_code == 400 and live_links() == 0
    assert "Linked 4 clients" in link_all(admin, pairs)


def test_nothing_ticked_links_nothing(integrated, admin):
    result = link_all(admin, [])
    assert "Tick at least one pair to link." in result and live_links() == 0


# -- Undo ------------------------------------------------------------------------------------------


def test_undo_removes_the_batch_and_restores_taken_values(integrated, admin):
    northwind = client_named("Northwind Traders LLP")
    admin.post(f"{XERO}/contacts/{contact_id_of('Northwind Traders')}/merge",
               {"client_id": northwind.id, "use": "practice"})  # linked by hand, not in the batch
    result = link_all(admin, pairs_on(review(admin)), use="xero")
    assert "Linked 3 clients" in result
    assert client_named("Patel and Sons Ltd").phone == "0161 4960123"
    page = undo(admin, result)
    assert ("success", "Undone: 3 links removed; 10 values taken from Xero put back.") in flashes(page)
    patel = client_named("Patel & Sons Limited")
    assert patel is not None and (patel.phone, patel.city, patel.country) == ("0161 496 0123", "Manchester", "GB")
    harbour = client_named("Harbour View Cafe Ltd")
    assert (harbour.email, harbour.address_line1) == ("hello@harbourviewcafe.co.uk", "12 Quay Street")
    assert link_of(patel) is None and link_of(harbour) is None and link_of(client_named("Jane Whitfield")) is None
    assert link_of(client_named("Northwind Traders LLP")) is not None  # exactly the batch's links
    for contact in ("Patel and Sons Ltd", "Harbour View Café Limited", "Jane Whitfeld"):
        assert listed(page, contact)
    assert "Undo these links" not in page
    assert db.session.scalar(select(LinkBatch.undone_at)) is not None
    # the values put back queue nothing for Xero: the clients are no longer linked
    assert db.session.scalar(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.state.in_(("pending", "attention")))) == 1  # Northwind's own merge


def test_undo_keeps_changes_made_since(integrated, admin):
    result = link_all(admin, pairs_on(review(admin)), use="xero")
    patel = client_named("Patel and Sons Ltd")
    admin.post(f"/clients/{patel.id}/edit", {**patel.as_dict(), "version": patel.version, "phone": "0161 000 0000"})
    page = undo(admin, result)
    assert ("success", "Undone: 4 links removed; 10 values taken from Xero put back; "
                       "1 queued update to Xero cancelled.") in flashes(page)  # the edit was on its way to Xero
    patel = db.session.get(type(patel), patel.id)
    assert patel.name == "Patel & Sons Limited" and patel.phone == "0161 000 0000"
    assert "Changed since the links were made, so left as they are now: Patel & Sons Limited." in said(page)


def test_undo_before_the_sync_cancels_the_queued_pushes(integrated, admin, sync_now, in_xero):
    result = link_all(admin, pairs_on(review(admin)), use="practice")
    page = undo(admin, result)
    assert ("success", "Undone: 4 links removed; 4 queued updates to Xero cancelled.") in flashes(page)
    sync_now()
    assert in_xero.contact_named("Harbour View Café Limited")["EmailAddress"] == "accounts@harbourviewcafe.co.uk"
    names = [contact["Name"] for contact in in_xero.contacts()]
    assert "Harbour View Cafe Ltd" not in names and "Patel & Sons Limited" not in names  # nor created anew
    assert live_links() == 0


def test_undo_after_the_sync_only_unlinks_and_says_so(integrated, admin, sync_now, in_xero):
    result = link_all(admin, pairs_on(review(admin)), use="practice")
    sync_now()
    page = undo(admin, html(admin.get(f"{XERO}/")))
    assert ("success", "Undone: 4 links removed.") in flashes(page)
    assert ("warning", "Already synced with Xero since the links were made: Harbour View Cafe Ltd, "
                       "Jane Whitfield, Northwind Traders LLP, Patel & Sons Limited. Whatever that sync wrote "
                       "to Xero stays there; these were only unlinked.") in flashes(page)
    assert in_xero.contact_named("Harbour View Cafe Ltd")["EmailAddress"] == "hello@harbourviewcafe.co.uk"
    assert live_links() == 0
    assert result


def test_undo_is_offered_once(integrated, admin):
    result = link_all(admin, pairs_on(review(admin)), use="xero")
    batch_id = db.session.scalar(select(LinkBatch.id))
    undo(admin, result)
    again = html(admin.post(f"{XERO}/link-all/{batch_id}/undo", follow_redirects=True))
    assert ("error", "These links were already undone.") in flashes(again)
    assert db.session.scalar(select(func.count()).select_from(FieldChange)) >= 1


def test_undo_waits_for_a_running_sync(integrated, admin, monkeypatch):
    from bm.jobs import redis_connection
    from plugins.xero.sync import engine
    from plugins.xero.sync.engine import organisation_lock

    result = link_all(admin, pairs_on(review(admin)), use="practice")
    monkeypatch.setattr(engine, "LOCK_WAIT_SECONDS", 0)
    with organisation_lock(redis_connection(), integrated.tenant_id):  # a sync is sending to Xero
        page = undo(admin, result)
    assert ("error", "A sync of this organisation is running: undo again in a moment.") in flashes(page)
    assert live_links() == 4
    assert ("success", "Undone: 4 links removed; 4 queued updates to Xero cancelled.") in flashes(undo(admin, page))


def test_undo_is_offered_for_a_week(integrated, admin):
    from datetime import timedelta

    result = link_all(admin, pairs_on(review(admin)), use="xero")
    batch = db.session.scalar(select(LinkBatch))
    assert f'id="undo-batch-{batch.id}"' in html(admin.get(f"{XERO}/"))
    batch.made_at -= timedelta(days=8)
    db.session.commit()
    assert f'id="undo-batch-{batch.id}"' not in html(admin.get(f"{XERO}/"))
    page = html(admin.post(f"{XERO}/link-all/{batch.id}/undo", follow_redirects=True))
    assert ("error", "Links made more than 7 days ago can no longer be undone together: "
                     "unlink a client from its client file.") in flashes(page)
    assert live_links() == 4 and result
