"""Reading what changed in Xero since the last pull, so that no change is missed or taken twice.

Xero reads If-Modified-Since to the second and does not say whether it means "at or after" or
"after" (XERO-NOTES §2), so the pull asks from a second before the watermark and leaves out what
the last pull already took. Pages are read in the order of the record's id, which no change
moves, so a record cannot slip from an unread page to a read one while the pull goes on.
"""
from datetime import timedelta, timezone

from ..api import xero_date

OVERLAP = timedelta(seconds=1)


class ChangedSince:
    """The records of a Xero list changed since ``since`` (naive UTC; None reads them all).

    ``pages()`` yields each page's new records: those updated at or before ``since`` were taken
    by the pull that set it, and a record read twice in one pull is yielded once. ``watermark``
    is what to keep for the next pull: the newest change read, but no later than Xero's clock
    when the first page was read, since a record changed while the pull went on may have landed
    on a page already read.
    """

    def __init__(self, xero, endpoint, id_field, params, since):
        self.xero, self.endpoint, self.id_field = xero, endpoint, id_field
        self.params, self.since = params, since
        self.newest = self.started = None
        self.seen = set()

    def pages(self):
        asked = (self.since - OVERLAP).replace(tzinfo=timezone.utc) if self.since else None
        params = {**self.params, "order": f"{self.id_field} ASC"}
        for page in self.xero.pages(self.endpoint, self.endpoint, params, modified_since=asked):
            if self.started is None and page.server_time is not None:
                self.started = page.server_time.replace(tzinfo=None)
            yield [record for record in page if self._new(record)]

    def _new(self, record):
        if not isinstance(record, dict):
            return True  # the caller reports what it cannot use
        record_id = record.get(self.id_field)
        if record_id in self.seen:
            return False
        try:
            updated = xero_date(record.get("UpdatedDateUTC"))
        except (ValueError, TypeError, OverflowError):
            updated = None
        updated = updated.replace(tzinfo=None) if updated else None
        if updated is not None and self.since is not None and updated <= self.since:
            return False
        if record_id:
            self.seen.add(record_id)
        if updated is not None:
            self.newest = max(filter(None, (self.newest, updated)))
        return True

    @property
    def watermark(self):
        """The watermark for the next pull (``since`` when nothing newer was read)."""
        newest = min(filter(None, (self.newest, self.started))) if self.newest else None
        return max(filter(None, (self.since, newest)), default=None)
