"""Finding each contact's candidate clients cheaply: the most alike names, and clients sharing an exact key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import numpy as np
from rapidfuzz import fuzz, process

from .arrays import ranks, threads
from .sides import Side

# A name under the cutoff scores -7 and cannot reach FLOOR unless the pair shares a key, and
# the key index finds those anyway. A key shared by more than _BLOCK_MAX clients (a
# practice-wide email or phone, a common surname) is skipped.
_NAME_CUTOFF = 55
_BLOCK_MAX = 50


def candidates(contacts: Side, clients: Side, neighbours: int, chunk_cells: int
               ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the distinct (row, column) candidate pairs by row then column, a chunk of contacts at
    a time: each contact's `neighbours` clients with the most alike names, and those sharing a key."""
    keys = _KeyIndex(clients)
    for start, end, rows, columns in _name_neighbours(contacts, clients, neighbours, chunk_cells):
        key_rows, key_columns = keys.pairs(contacts, start, end)
        codes = np.unique(np.concatenate([rows * clients.size + columns,
                                          key_rows * clients.size + key_columns]))
        yield np.divmod(codes, clients.size)


def _name_neighbours(contacts: Side, clients: Side, count: int, chunk_cells: int
                     ) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Yield (start, end, rows, columns): for contacts start..end, the `count` clients with the
    most similar name, trading or former name, about `chunk_cells` comparisons at a time."""
    choices = list(clients.names.values)
    owners = clients.names.owners()
    count = min(count, len(choices))
    per_chunk = max(1, chunk_cells // max(1, len(choices)))
    bounds = list(range(0, contacts.size, per_chunk)) + [contacts.size]

    def similarities(start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        first, last = contacts.names.starts[start], contacts.names.starts[end]
        if first == last or not choices:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        scores = process.cdist(contacts.names.values[first:last], choices, scorer=fuzz.ratio,
                               score_cutoff=_NAME_CUTOFF, dtype=np.uint8,
                               workers=threads((last - first) * len(choices)))
        rows, columns = _top_columns(scores, count)
        return contacts.names.owners(start, end)[rows], owners[columns]

    if len(bounds) == 2:  # one chunk: nothing to compare ahead, and a thread costs more than a few names
        yield 0, contacts.size, *similarities(0, contacts.size)
        return
    # cdist releases the GIL, so the next rows are compared while the caller scores these.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(similarities, bounds[0], bounds[1])
        for start, end, after in zip(bounds, bounds[1:], bounds[2:] + [None]):
            rows, columns = pending.result()
            if after is not None:
                pending = pool.submit(similarities, end, after)
            yield start, end, rows, columns


def _top_columns(scores: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (row, column) of each row's `count` best non-zero columns; ties to the lower column."""
    width = scores.shape[1]
    flat = scores.ravel()
    cells = np.flatnonzero(flat > 0)  # a flat bool scan is several times faster than 2-D
    rows, columns = np.divmod(cells, width)
    # Row first, then best score; a stable sort keeps the columns ascending within ties.
    order = np.argsort(rows * 256 + (255 - flat[cells].astype(np.int64)), kind="stable")
    rows, columns = rows[order], columns[order]
    keep = ranks(rows) < count
    return rows[keep], columns[keep]


class _KeyIndex:
    """Clients by each exact key that counts as evidence, for candidates names alone miss."""

    def __init__(self, clients: Side):
        order = np.argsort(clients.keys.values, kind="stable")
        self.keys, self.owners = clients.keys.values[order], clients.keys.owners()[order]

    def pairs(self, contacts: Side, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (row, column) for each of contacts start..end and each client sharing a key."""
        keys = contacts.keys.values[contacts.keys.starts[start]:contacts.keys.starts[end]]
        rows = contacts.keys.owners(start, end)
        low = np.searchsorted(self.keys, keys, "left")
        size = np.searchsorted(self.keys, keys, "right") - low
        usable = (size > 0) & (size <= _BLOCK_MAX)
        low, size, rows = low[usable], size[usable], rows[usable]
        within = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
        return np.repeat(rows, size), self.owners[np.repeat(low, size) + within]
