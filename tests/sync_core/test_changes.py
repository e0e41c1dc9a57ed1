"""Reading what changed in Xero since the last pull (plugins/xero/sync/changes.py)."""
from datetime import datetime, timedelta, timezone

from plugins.xero.api import Page
from bm.extensions import db
from plugins.xero.models import OutboxEntry
from plugins.xero.sync.changes import ChangedSince, as_last_answered

SINCE = datetime(2026, 11, 20, 9, 0, 0)


def page(records, server_time=None, page_size=None, item_count=None):
    made = Page(records)
    made.server_time, made.page_size, made.item_count = server_time, page_size, item_count
    return made


class Listing:
    """Xero's answer to a paged list, page by page (``then``: its answer to the next list asked);
    remembers what was asked."""

    def __init__(self, *pages, then=()):
        self.answers, self.asked = [pages, then], []

    def pages(self, path, key, params, modified_since=None):
        self.asked.append((path, key, params, modified_since))
        yield from self.answers[len(self.asked) - 1]


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


STARTED = datetime(2026, 11, 20, 10, 0, 0, tzinfo=timezone.utc)
OWN = {"w1": datetime(2026, 11, 20, 9, 30), "w2": datetime(2026, 11, 20, 9, 40), "w3": datetime(2026, 11, 20, 9, 50)}


def newest_page(*ids, item_count=3, server_time=datetime(2026, 11, 20, 10, 0, 5, tzinfo=timezone.utc), moved=()):
    return page([contact(i, (OWN[i] + timedelta(seconds=1 if i in moved else 0)).isoformat()) for i in ids],
                server_time, item_count=item_count)


def after_pull(then=(), read=(("a", "2026-11-20T09:10:00"),), page_size=2, started=STARTED, since=SINCE,
               known=None):
    """A pull that read ``read`` (each (id, UpdatedDateUTC)) on one page, knowing the sync's own
    writes (``known``, by default ``own_writes``); Xero's answer to the next list asked is ``then``."""
    listing = Listing(page([contact(*one) for one in read], started, page_size=page_size), then=then)
    changed = ChangedSince(listing, "Contacts", "ContactID", {"where": "IsCustomer"}, since, known or own_writes([]))
    for _ in changed.pages():
        pass
    return listing, changed


def own_writes(asked, writes=OWN):
    """``known`` for writes made after the pull (``OWN``); remembers each moment asked after the pull's own."""
    def known(moment):
        if moment > SINCE:
            asked.append(moment)
        return {key: updated for key, updated in writes.items() if updated >= moment}
    return known


def test_the_watermark_moves_past_the_syncs_own_writes_when_nothing_else_changed():
    asked = []
    listing, changed = after_pull(then=[newest_page("w3", "w2")], known=own_writes(asked))
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 50)
    assert asked == [datetime(2026, 11, 20, 9, 10, 1)]
    assert listing.asked[1] == ("Contacts", "Contacts", {"where": "IsCustomer", "order": "UpdatedDateUTC DESC"},
                                datetime(2026, 11, 20, 9, 10, 1, tzinfo=timezone.utc))


def test_the_watermark_moves_no_later_than_xeros_clock():
    _, changed = after_pull(then=[newest_page("w3", "w2", server_time=datetime(2026, 11, 20, 9, 45,
                                                                               tzinfo=timezone.utc))])
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 45)


def test_the_watermark_never_moves_back():
    _, changed = after_pull(then=[newest_page("w3", "w2", server_time=datetime(2026, 11, 20, 9, 0,
                                                                               tzinfo=timezone.utc))])
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 10)


def test_any_sign_of_another_change_keeps_the_watermark():
    for then in ([newest_page("w3", "w2", item_count=4)], [newest_page("w3", "w2", item_count=None)],
                 [newest_page("w3", "w2", server_time=None)], [newest_page("w3", "w2", moved={"w2"})],
                 [page(["junk"], STARTED, item_count=3)], [page([contact("x", OWN["w3"].isoformat())], STARTED,
                                                               item_count=3)]):
        _, changed = after_pull(then=then)
        assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 10)


def test_nothing_is_asked_when_the_next_pull_reads_a_page_or_less_anyway():
    listing, changed = after_pull(page_size=4)  # 3 writes, and "a" read in the watermark's second
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 10)
    assert len(listing.asked) == 1


def test_nothing_is_asked_when_the_sync_wrote_nothing_after_the_pull():
    read = (("a", "2026-11-20T09:10:00"), ("b", "2026-11-20T09:10:00.500"), ("c", "2026-11-20T09:10:00.900"))
    listing, changed = after_pull(read=read, then=[page([], STARTED, item_count=0)],  # 3 read > a page of 2
                                  known=lambda moment: {})
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 10, 0, 900000)
    assert len(listing.asked) == 1


def test_when_xero_gives_no_page_size_a_page_is_a_thousand():
    listing, changed = after_pull(page_size=None, then=[newest_page("w3", "w2")])
    assert changed.page_size == 1000
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 10) and len(listing.asked) == 1


def test_records_read_in_one_second_are_counted_together():
    read = (("a", "2026-11-20T09:10:00.100"), ("b", "2026-11-20T09:10:00.900"), ("c", "2026-11-20T09:10:01"))
    _, changed = after_pull(read=read)
    assert changed.per_second == {datetime(2026, 11, 20, 9, 10): 2, datetime(2026, 11, 20, 9, 10, 1): 1}


def test_what_the_pull_read_in_the_watermarks_last_second_counts_towards_the_next_page():
    read = (("a", "2026-11-20T09:00:00"), ("b", "2026-11-20T08:59:59.500"), ("c", "2026-11-20T08:59:58.900"))
    listing, changed = after_pull(read=read, page_size=4, then=[newest_page("w3", "w2")])
    assert changed.watermark == SINCE and changed.newest is None
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 50)  # 3 writes + 2 read > 4
    listing, changed = after_pull(read=read, page_size=5, then=[newest_page("w3", "w2")])
    assert changed.past_own_writes() == SINCE and len(listing.asked) == 1


def test_without_xeros_clock_or_a_second_to_spare_nothing_is_asked():
    asked = []
    listing, changed = after_pull(started=None, then=[newest_page("w3", "w2")], known=own_writes(asked))
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 10) and asked == []
    listing, changed = after_pull(read=(("a", "2026-11-20T09:59:58.999"),), then=[newest_page("w3", "w2")],
                                  known=own_writes(asked))
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 59, 58, 999000) and asked == []
    listing, changed = after_pull(read=(("a", "2026-11-20T09:59:57.999"),), then=[newest_page("w3", "w2")],
                                  known=own_writes(asked))
    changed.past_own_writes()
    assert asked == [datetime(2026, 11, 20, 9, 59, 58)]


def test_with_nothing_read_the_writes_are_asked_from_after_the_watermark():
    asked = []
    _, changed = after_pull(read=(), then=[newest_page("w3", "w2")], known=own_writes(asked))
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 50)
    assert asked == [datetime(2026, 11, 20, 9, 0, 1)]


def test_a_first_pull_that_read_nothing_asks_nothing():
    asked = []
    _, changed = after_pull(read=(), since=None, then=[newest_page("w3", "w2")], known=own_writes(asked))
    assert changed.past_own_writes() is None and asked == []


def test_only_the_last_seconds_read_are_tallied():
    base = datetime(2026, 11, 20, 9, 0, 0)
    read = [(f"r{n}", (base + timedelta(seconds=n, milliseconds=250)).isoformat()) for n in range(70)]
    _, changed = after_pull(read=read, since=None)
    assert sorted(changed.per_second) == [base + timedelta(seconds=n) for n in range(62, 70)]
    assert set(changed.per_second.values()) == {1}


def test_as_last_answered_reads_the_local_copy(core_db):
    moment = datetime(2026, 11, 20, 9, 0)
    rows = [OutboxEntry(kind=kind, object_id=1, state="done", detail={}, updated_at=moment + timedelta(seconds=s))
            for kind, s in (("client", -1), ("client", 0), ("client", 5), ("invoice", 9))]
    db.session.add_all(rows)
    db.session.commit()
    known = as_last_answered(OutboxEntry.id, OutboxEntry.updated_at, OutboxEntry.kind == "client")
    assert known(moment) == {rows[1].id: moment, rows[2].id: moment + timedelta(seconds=5)}


def test_received_counts_every_record_read_of_the_total_xero_gave_first():
    listing = Listing(page([contact("a", "2026-11-20T08:00:00"), contact("b", "2026-11-20T09:30:00")], item_count=3),
                      page([contact("b", "2026-11-20T09:30:00")], item_count=9))
    changed = ChangedSince(listing, "Contacts", "ContactID", {}, SINCE)
    progress = [(changed.received, changed.total) for _ in changed.pages()]
    assert progress == [(2, 3), (3, 3)]


ECHO = {f"e{n:04d}": datetime(2026, 11, 20, 8, 59, 59) + timedelta(milliseconds=n) for n in range(1001)}  # to SINCE
LATER = datetime(2026, 11, 20, 9, 5, tzinfo=timezone.utc)


def echo_page(records=ECHO, item_count=len(ECHO), server_time=LATER):
    newest = sorted(records.items(), key=lambda item: item[1], reverse=True)[:1000]
    return page([contact(key, updated.isoformat()) for key, updated in newest], server_time, item_count=item_count)


def pull_after_echo(answer, held=ECHO, since=SINCE):
    """A pull from ``since`` whose local copy holds ``held`` and that Xero answers with ``answer``
    (the pages of each list asked, in turn); returns (what was asked, what was yielded, the pull)."""
    listing = Listing(*answer[0], then=answer[1] if len(answer) > 1 else ())
    changed = ChangedSince(listing, "Contacts", "ContactID", {}, since,
                           lambda moment: {key: updated for key, updated in held.items() if updated >= moment})
    return listing.asked, list(changed.pages()), changed


def test_an_echo_of_more_than_a_page_costs_one_ask_when_nothing_changed():
    asked, pages, changed = pull_after_echo([[echo_page()]])
    assert pages == []
    # the seconds 8:59:59 and 9:00:00 hold known changes: asked from the quiet second before them
    assert asked == [("Contacts", "Contacts", {"order": "UpdatedDateUTC DESC"},
                      datetime(2026, 11, 20, 8, 59, 58, tzinfo=timezone.utc))]
    assert changed.watermark == datetime(2026, 11, 20, 9, 4, 59, 999000)


def test_a_change_after_the_watermark_is_read_after_the_ask():
    changed_contact = contact("e0001", "2026-11-20T09:02:00")
    newer = {**ECHO, "e0001": datetime(2026, 11, 20, 9, 2)}
    for answer in (echo_page(item_count=len(ECHO) + 1), echo_page(newer), echo_page(server_time=None)):
        asked, pages, changed = pull_after_echo([[answer], [page([changed_contact], LATER)]])
        assert [record["ContactID"] for records in pages for record in records] == ["e0001"]
        assert asked[1][2] == {"order": "ContactID ASC"} and len(asked) == 2
        assert changed.watermark == datetime(2026, 11, 20, 9, 2)


def test_no_ask_when_the_echo_fits_a_page_or_the_copy_holds_what_no_pull_took():
    small = dict(list(ECHO.items())[:1000])
    restored = {**ECHO, "e0001": datetime(2026, 11, 20, 9, 0, 0, 500)}  # a watermark moved back before it
    for held, since in ((small, SINCE), (restored, SINCE), (ECHO, None)):
        asked, pages, _ = pull_after_echo([[page([], LATER)]], held, since)
        assert len(asked) == 1 and asked[0][2] == {"order": "ContactID ASC"}


def test_no_ask_without_a_quiet_second_in_the_last_five_minutes():
    busy = {f"b{n}": datetime(2026, 11, 20, 9, 0) - timedelta(seconds=n) for n in range(302)}
    asked, _, _ = pull_after_echo([[page([], LATER)]], {**busy, **ECHO})
    assert len(asked) == 1 and asked[0][2] == {"order": "ContactID ASC"}
    quiet = {key: updated for key, updated in busy.items() if updated != datetime(2026, 11, 20, 8, 55)}
    asked, _, _ = pull_after_echo([[echo_page({**quiet, **ECHO})]], {**quiet, **ECHO})
    assert asked[0][3] == datetime(2026, 11, 20, 8, 55, tzinfo=timezone.utc)


def test_without_a_local_copy_own_writes_are_not_skipped():
    _, changed = after_pull(then=[newest_page("w3", "w2")])
    changed.known = None
    assert changed.past_own_writes() == datetime(2026, 11, 20, 9, 10)
