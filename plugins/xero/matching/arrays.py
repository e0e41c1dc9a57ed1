"""Values of many records as flat numpy arrays, and the pairing of two sides' values for many pairs at once."""

from __future__ import annotations

from itertools import chain

import numpy as np
from rapidfuzz import fuzz, process


class Slots:
    """Each record's values of one field, flattened: record i's are values[starts[i]:starts[i+1]]."""

    def __init__(self, counts: np.ndarray, values: np.ndarray):
        self.starts = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=self.starts[1:])
        self.values = values

    @classmethod
    def of(cls, lists: list[list], values: np.ndarray | None = None) -> Slots:
        """Return the lists' values as slots (the flattened lists themselves unless given)."""
        counts = np.fromiter(map(len, lists), np.int64, len(lists))
        return cls(counts, object_array(list(chain.from_iterable(lists))) if values is None else values)

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """Return how many values each of the records has."""
        return self.starts[rows + 1] - self.starts[rows]

    def owners(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """Return the record each value of records start..end belongs to."""
        records = np.arange(start, len(self.starts) - 1 if end is None else end)
        return np.repeat(records, self.counts(records))


def object_array(values: list) -> np.ndarray:
    """Return the values as a one-dimensional array of Python objects (never split into more axes)."""
    array = np.empty(len(values), object)
    array[:] = values
    return array


def cross(ours: Slots, rows: np.ndarray, theirs: Slots, columns: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return every pairing of a row's values with its column's, as (pair, our value index,
    their value index)."""
    ours_start, theirs_start = ours.starts[rows], theirs.starts[columns]
    ours_count = ours.starts[rows + 1] - ours_start
    theirs_count = theirs.starts[columns + 1] - theirs_start
    combinations = ours_count * theirs_count
    pair = np.repeat(np.arange(len(rows)), combinations)
    within = np.arange(len(pair)) - np.repeat(np.cumsum(combinations) - combinations, combinations)
    width = theirs_count[pair]
    return pair, ours_start[pair] + within // width, theirs_start[pair] + within % width


def shared(ours: Slots, rows: np.ndarray, theirs: Slots, columns: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Return, per pair, whether the two share a value and whether both have any."""
    pair, mine, yours = cross(ours, rows, theirs, columns)
    found = np.zeros(len(rows), bool)
    found[pair[ours.values[mine] == theirs.values[yours]]] = True
    return found, (ours.counts(rows) > 0) & (theirs.counts(columns) > 0)


def best(size: int, pair: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each pair's best score (-1 for none) and which entry gave it (first among ties)."""
    order = np.lexsort((-scores, pair))
    leaders = order[group_starts(pair[order])]
    top = np.full(size, -1.0)
    top[pair[leaders]] = scores[leaders]
    which = np.full(size, -1, np.int64)
    which[pair[leaders]] = leaders
    return top, which


def group_starts(keys: np.ndarray) -> np.ndarray:
    """Return where each run of equal keys begins in sorted keys, as a boolean mask."""
    return np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)


def similarity(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Return how alike each of our strings is to the same place's of theirs, 0 to 100."""
    if not len(ours):
        return np.zeros(0, np.float32)
    return process.cpdist(ours, theirs, scorer=fuzz.ratio, workers=threads(len(ours)))


# rapidfuzz starts a thread per core on each call that may use them all: some milliseconds, which
# is more than a few thousand comparisons cost on one (a client file scores its look-alikes so).
_PARALLEL_FROM = 10_000


def threads(comparisons: int) -> int:
    """Return rapidfuzz's ``workers`` for a call making this many comparisons: all cores only when it pays."""
    return -1 if comparisons >= _PARALLEL_FROM else 1


def ranks(keys: np.ndarray) -> np.ndarray:
    """Return each entry's place within its run of equal keys, in sorted keys (0 for the first)."""
    return np.arange(len(keys)) - np.searchsorted(keys, keys)
