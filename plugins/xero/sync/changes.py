"""Reading what changed in Xero since the last pull, so that no change is missed or taken twice.

Xero reads If-Modified-Since to the second and does not say whether it means "at or after" or
"after" (XERO-NOTES §2), so the pull asks from a second before the watermark and leaves out what
the last pull already took. Pages are read in the order of the record's id, which no change
moves, so a record cannot slip from an unread page to a read one while the pull goes on.

A sync's own writes come back to the next pull as changes (its echo). When they would fill more
than a page, ``past_own_writes`` asks Xero once whether anything else changed and, if nothing
did, moves the watermark past them. What is left of the echo, the writes of the second or two
before the watermark that the next pull reads again, can still be more than a page when Xero
answers writes fast: the next pull then first asks once whether anything changed at all
(``_nothing_new``), and reads nothing more if nothing did.
"""
from collections import Counter
from datetime import timedelta, timezone

from sqlalchemy import select

from bm.extensions import db

from ..api import PAGE_SIZE, xero_date

OVERLAP = timedelta(seconds=1)
SECOND = timedelta(seconds=1)
MILLISECOND = timedelta(milliseconds=1)
QUIET_LOOKBACK = timedelta(minutes=5)  # how far back a second free of known changes is looked for


class ChangedSince:
    """The records of a Xero list changed since ``since`` (naive UTC; None reads them all).

    ``pages()`` yields each page's new records: those updated at or before ``since`` were taken
    by the pull that set it, and a record read twice in one pull is yielded once. ``received``
    counts the records read so far, of ``total`` (Xero's ``itemCount``, None if it did not say). ``watermark``
    is what to keep for the next pull: the newest change read, but no later than Xero's clock
    when the first page was read, since a record changed while the pull went on may have landed
    on a page already read. ``known(moment)`` returns ``{id: UpdatedDateUTC}`` (naive UTC) of the
    records updated at or after ``moment`` as the sync last read or wrote them (None: not known).
    """

    def __init__(self, xero, endpoint, id_field, params, since, known=None):
        self.xero, self.endpoint, self.id_field = xero, endpoint, id_field
        self.params, self.since, self.known = params, since, known
        self.newest = self.started = self.total = None
        self.page_size, self.received = PAGE_SIZE, 0
        self.seen = set()
        self.per_second = Counter()  # records read in each of the last seconds up to the newest

    def pages(self):
        if self._nothing_new():
            return
        asked = (self.since - OVERLAP).replace(tzinfo=timezone.utc) if self.since else None
        params = {**self.params, "order": f"{self.id_field} ASC"}
        for number, page in enumerate(self.xero.pages(self.endpoint, self.endpoint, params, modified_since=asked)):
            if self.started is None and page.server_time is not None:
                self.started = page.server_time.replace(tzinfo=None)
            if number == 0:
                self.page_size, self.total = page.page_size or self.page_size, page.item_count
            self.received += len(page)
            yield [record for record in page if self._new(record)]

    def _new(self, record):
        if not isinstance(record, dict):
            return True  # the caller reports what it cannot use
        record_id, updated = record.get(self.id_field), _updated(record)
        if record_id in self.seen:
            return False
        if updated is not None:
            self._tally(updated)
        if updated is not None and self.since is not None and updated <= self.since:
            return False
        if record_id:
            self.seen.add(record_id)
        if updated is not None:
            self.newest = max(filter(None, (self.newest, updated)))
        return True

    def _tally(self, updated):
        self.per_second[_second(updated)] += 1
        if len(self.per_second) > 64:
            keep = _second(max(filter(None, (self.newest, updated)))) - 2 * SECOND
            self.per_second = Counter({moment: count for moment, count in self.per_second.items() if moment >= keep})

    @property
    def watermark(self):
        """The watermark for the next pull (``since`` when nothing newer was read)."""
        newest = min(filter(None, (self.newest, self.started))) if self.newest else None
        return max(filter(None, (self.since, newest)), default=None)

    def past_own_writes(self):
        """The watermark moved past the sync's own writes when nothing else changed, else ``watermark``.

        Asked from the second after the newest change the pull read (a second no record read is
        in, so "at or after" and "after" read it alike), Xero counts every record changed since
        (``pagination.itemCount``); the pull read everything changed before it began, so if that
        count is what the sync wrote (``known``) and the newest page of them is as the sync left
        it, nothing else changed and the watermark moves to the newest write (not past Xero's
        clock). An edit in Xero during the sync adds a record to the count (one the pull read, or
        any other), or moves one the sync wrote to the front of the list: the watermark stays and
        the next pull reads it all. Not seen: an edit to a record this sync wrote, made while the
        sync was still writing and older than a page of its later writes. Nothing is asked when
        the next pull would read a page or less anyway, when the sync wrote nothing after the
        pull's newest change, or when that change is too close to the pull's start to leave a
        second between them.
        """
        watermark = self.watermark
        if self.started is None or self.known is None:
            return watermark
        after_read = _second(self.newest or self.since or self.started - 2 * SECOND) + SECOND
        if after_read + SECOND >= _second(self.started):
            return watermark
        records = self.known(after_read)
        overlap = sum(count for moment, count in self.per_second.items() if moment >= _second(watermark - OVERLAP))
        if not records or len(records) + overlap <= self.page_size:
            return watermark
        clock = self._xero_holds_just(after_read, records)
        return watermark if clock is None else max(watermark, min(max(records.values()), clock))

    def _nothing_new(self):
        """Whether Xero shows no change since the watermark, asked once, when the pull would
        otherwise read more than a page of records it already took (the last sync's echo).

        Xero is asked from a second before the watermark in which the local copy holds no change
        (so "at or after" and "after" count alike) for the records changed since, newest first.
        If it counts exactly the records the copy holds as changed from then up to the watermark,
        and the newest page is as the copy holds it, nothing changed after the watermark: any
        later change would be newer than all of them and head the page. The watermark then moves
        to just before Xero's clock. Not asked on a first pull, and when the copy holds a change
        after the watermark (a pull that did not finish, or a watermark moved back on purpose):
        those must be read.
        """
        if self.known is None or self.since is None:
            return False
        start = _second(self.since - OVERLAP)
        if len(self.known(start)) <= self.page_size:
            return False
        records = self.known(start - QUIET_LOOKBACK)
        if max(records.values()) > self.since:
            return False
        busy = {_second(updated) for updated in records.values()}
        moment = start
        while moment in busy:
            moment -= SECOND
        if moment < start - QUIET_LOOKBACK:
            return False
        clock = self._xero_holds_just(moment, {key: updated for key, updated in records.items() if updated >= moment})
        if clock is None:
            return False
        self.started, self.newest = clock, clock - MILLISECOND
        return True

    def _xero_holds_just(self, moment, records):
        """Xero's clock (naive UTC) if the records it changed since ``moment`` are as many as
        ``records`` ({id: UpdatedDateUTC}) and its newest page of them is as ``records`` hold it; else None."""
        page = next(iter(self.xero.pages(self.endpoint, self.endpoint, {**self.params, "order": "UpdatedDateUTC DESC"},
                                         modified_since=moment.replace(tzinfo=timezone.utc))))
        if page.item_count != len(records) or page.server_time is None:
            return None
        if any(not isinstance(record, dict) or records.get(record.get(self.id_field)) != _updated(record)
               for record in page):
            return None
        return page.server_time.replace(tzinfo=None)


def as_last_answered(id_column, updated_column, *where):
    """``known`` for ``ChangedSince`` from a local copy that keeps what Xero last answered."""
    def known(moment):
        return dict(db.session.execute(select(id_column, updated_column).where(updated_column >= moment, *where)).all())

    return known


def _second(moment):
    return moment.replace(microsecond=0)


def _updated(record):
    """A record's UpdatedDateUTC as naive UTC, or None when it has none or it cannot be read."""
    try:
        updated = xero_date(record.get("UpdatedDateUTC"))
    except (ValueError, TypeError, OverflowError):
        return None
    return updated.replace(tzinfo=None) if updated else None
