"""Reading what changed in Xero since the last pull (plugins/xero/sync/changes.py)."""
from datetime import datetime, timezone

from plugins.xero.api import Page
from plugins.xero.sync.changes import ChangedSince

SINCE = datetime(2026, 11, 20, 9, 0, 0)


def page(records, server_time=None):
    made = Page(records)
    made.server_time = server_time
    return made


class Listing:
    """Xero's answer to a paged list, page by page; remembers what was asked."""

    def __init__(self, *pages):
        self.answer, self.asked = pages, []

    def pages(self, path, key, params, modified_since=None):
        self.asked.append((path, key, params, modified_since))
        yield from self.answer


def contact(contact_id, updated):
    return {"ContactID": contact_id, "UpdatedDateUTC": updated}


def read(listing, since=SINCE, params=None):
    changed = ChangedSince(listing, "Contacts", "ContactID", params or {"where": "IsCustomer"}, since)
    return [[r if isinstance(r, str) else r["ContactID"] for r in records] for records in changed.pages()], changed


def test_it_asks_from_a_second_before_the_watermark_in_id_order():
    listing = Listing()
    read(listing)
    assert listing.asked == [("Contacts", "Contacts", {"where": "IsCustomer", "order": "ContactID ASC"},
                              datetime(2026, 11, 20, 8, 59, 59, tzinfo=timezone.utc))]
    read(listing, since=None)
    assert listing.asked[1][3] is None


def test_what_the_last_pull_took_and_what_was_read_already_are_left_out():
    listing = Listing(page([contact("a", "2026-11-20T09:00:00"), contact("b", "2026-11-20T09:00:00.001"),
                            contact("c", "2026-11-20T08:59:59")]),
                      page([contact("b", "2026-11-20T09:00:02"), contact("d", None), "junk"]))
    pages, changed = read(listing)
    assert pages == [["b"], ["d", "junk"]]
    assert changed.seen == {"b", "d"}


def test_without_a_watermark_everything_is_new():
    pages, changed = read(Listing(page([contact("a", "2020-01-01T00:00:00"), contact("b", "bad date")])), since=None)
    assert pages == [["a", "b"]]
    assert changed.watermark == datetime(2020, 1, 1)


def test_a_record_without_an_id_is_yielded_and_not_remembered():
    pages, changed = read(Listing(page([contact(None, "2026-11-21T00:00:00"), contact(None, "2026-11-21T00:00:00")])))
    assert pages == [[None, None]] and changed.seen == set()


def test_the_watermark_is_the_newest_change_but_no_later_than_xeros_clock_at_the_first_page():
    first_page_clock = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    listing = Listing(page([contact("a", "2026-11-20T09:10:00"), contact("b", "2026-11-20T09:20:00")], first_page_clock),
                      page([contact("c", "2026-11-20T09:40:00")], datetime(2026, 11, 20, 9, 31, tzinfo=timezone.utc)))
    _, changed = read(listing)
    assert changed.started == datetime(2026, 11, 20, 9, 30) and changed.newest == datetime(2026, 11, 20, 9, 40)
    assert changed.watermark == datetime(2026, 11, 20, 9, 30)
    _, changed = read(Listing(page([contact("a", "2026-11-20T09:10:00")], first_page_clock)))
    assert changed.watermark == datetime(2026, 11, 20, 9, 10)


def test_the_clock_is_taken_from_the_first_page_that_has_one():
    listing = Listing(page([contact("a", "2026-11-20T09:10:00")]),
                      page([contact("b", "2026-11-20T09:50:00")], datetime(2026, 11, 20, 9, 45, tzinfo=timezone.utc)))
    _, changed = read(listing)
    assert changed.watermark == datetime(2026, 11, 20, 9, 45)


def test_with_nothing_newer_the_watermark_stays():
    _, changed = read(Listing(page([contact("a", "2026-11-20T08:00:00"), contact("b", None)])))
    assert changed.watermark == SINCE
    _, changed = read(Listing(), since=None)
    assert changed.watermark is None
