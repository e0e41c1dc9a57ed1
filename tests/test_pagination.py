"""Keyset paging of the long lists, and totals counted only up to a cap."""
import base64
import json
from datetime import date

import pytest
from sqlalchemy import text

from bm import pagination, services
from bm.extensions import db
from bm.models import Client
from support import html, link


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_PAGE_SIZE": 3}


def numbers_on(page, invoices):
    """The numbers of those invoices the page lists, in the page's order."""
    return sorted((invoice.number for invoice in invoices if invoice.number in page), key=page.index)


def test_invoices_page_newest_first_through_ties_on_the_date(admin, make_client, make_invoice):
    client = make_client(name="Acme")
    days = [date(2026, 1, 5), date(2026, 1, 7), date(2026, 1, 7), date(2026, 1, 7), date(2026, 1, 6),
            date(2026, 1, 7), date(2026, 1, 4)]
    invoices = [make_invoice(client=client, date=day.isoformat()) for day in days]
    newest_first = [invoice.number for invoice in
                    sorted(invoices, key=lambda invoice: (invoice.date, invoice.id), reverse=True)]
    first = html(admin.get("/invoices/"))
    assert numbers_on(first, invoices) == newest_first[:3]
    second = html(admin.get(link(first, "next")))
    assert numbers_on(second, invoices) == newest_first[3:6]
    third = html(admin.get(link(second, "next")))
    assert numbers_on(third, invoices) == newest_first[6:] and link(third, "next") is None
    back = html(admin.get(link(third, "prev")))
    assert numbers_on(back, invoices) == newest_first[3:6] and "4–6 of 7" in back


def test_paging_keeps_the_filter(admin, make_client, make_invoice):
    acme, beta = make_client(name="Acme"), make_client(name="Beta")
    mine = [make_invoice(client=acme) for _ in range(4)]
    theirs = make_invoice(client=beta)
    first = html(admin.get(f"/invoices/?client_id={acme.id}"))
    assert f"client_id={acme.id}" in link(first, "next")
    second = html(admin.get(link(first, "next")))
    assert numbers_on(first, mine) + numbers_on(second, mine) == [invoice.number for invoice in reversed(mine)]
    assert theirs.number not in first + second


def test_totals_beyond_the_count_cap_are_not_counted_and_pages_still_follow(admin, make_client, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    for number in range(1, 8):
        make_client(name=f"Client {number:02d}")
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE clients"))
        db.session.commit()
        total = "about 7"  # the planner's estimate
    else:
        total = "more than 4"
    first = html(admin.get("/clients/"))
    assert f"1–3 of {total} clients" in first and "Client 03" in first and "Client 04" not in first
    second = html(admin.get(link(first, "next")))
    assert "Client 04" in second and "Client 06" in second and "Client 03" not in second
    back = html(admin.get(link(second, "prev")))
    assert "Client 01" in back and "Client 03" in back and link(back, "prev") is None


def test_a_list_of_exactly_one_page_has_no_pager(admin, make_client):
    for number in range(1, 4):
        make_client(name=f"Client {number}")
    page = html(admin.get("/clients/"))
    assert "1–3 of 3 clients" in page and 'class="pager"' not in page


def test_an_emptied_list_from_an_old_link_shows_the_first_page(admin, make_client):
    clients = [make_client(name=f"Client {number}") for number in range(1, 6)]
    following = link(html(admin.get("/clients/")), "next")
    second = html(admin.get(following))
    back = link(second, "prev")
    for client in clients[:3]:
        services.set_client_archived(client, True)
    db.session.commit()
    page = html(admin.get(back))
    assert "Client 4" in page and "Client 5" in page and link(page, "prev") is None


@pytest.fixture
def counts(monkeypatch):
    """How many times a page view worked out its list's total."""
    calls = []
    count = pagination.count_or_estimate

    def counting(*args, **kwargs):
        calls.append(1)
        return count(*args, **kwargs)

    monkeypatch.setattr(pagination, "count_or_estimate", counting)
    return calls


def test_an_approximate_total_is_carried_to_the_next_pages_and_an_exact_one_counted_again(
        admin, make_client, monkeypatch, counts):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    clients = [make_client(name=f"Client {number:02d}") for number in range(1, 8)]
    first = html(admin.get("/clients/"))
    label = first.split("1–3 of ", 1)[1].split(" clients", 1)[0]
    assert label.startswith(("about", "more than")) and len(counts) == 1
    second = html(admin.get(link(first, "next")))
    assert f"4–6 of {label} clients" in second and len(counts) == 1
    back = html(admin.get(link(second, "prev")))
    assert f"1–3 of {label} clients" in back and len(counts) == 1
    for client in clients[:3]:
        services.set_client_archived(client, True)
    db.session.commit()
    first = html(admin.get("/clients/?status=active"))
    assert "1–3 of 4 clients" in first and len(counts) == 2
    assert "4–4 of 4 clients" in html(admin.get(link(first, "next"))) and len(counts) == 3


@pytest.mark.parametrize("carried", [[-1], ["about 7"], [True], [7.5], [7, 8]])
def test_a_link_whose_carried_total_is_not_a_count_opens_the_first_page(carried):
    from bm.models import Client

    keys = pagination._Keys([Client.name, Client.id])
    good = keys.encode(Client(name="Acme", id=4), 3, 7)
    assert keys.decode(good) == pagination._Cursor(3, ("Acme", 4), 7)
    text = json.dumps([3, ["Acme", 4], *carried])
    assert keys.decode(base64.urlsafe_b64encode(text.encode()).decode()) is None


def test_only_a_dense_lists_count_walks_its_sort_order(admin, make_client, count_statements):
    statements, expect = count_statements
    for number in range(1, 4):
        make_client(name=f"Client {number}")
    expect(2 * pagination.COUNT_CAP)  # more than the cap: counted up to it
    query = db.select(Client)
    assert pagination.count_or_estimate(query, (Client.name, Client.id)) == (3, True)
    assert "ORDER BY" in statements[-1]
    assert pagination.count_or_estimate(query) == (3, True) and "ORDER BY" not in statements[-1]
    assert "1–3 of 3 clients" in html(admin.get("/clients/")) and "ORDER BY" not in statements[-1]
    expect(pagination.SURE_ESTIMATE + 1)  # far beyond the cap: not counted at all
    statements.clear()
    assert pagination.count_or_estimate(query, (Client.name, Client.id)) == (pagination.SURE_ESTIMATE + 1, False)
    assert statements == []
