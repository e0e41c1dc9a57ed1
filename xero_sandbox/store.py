"""The sandbox's state: one SQLite database of JSON records, safe to share between threads.

Every entity (organisations, contacts, invoices, tokens, ...) is a row of `records` with a
`kind`, an `id`, the owning `tenant` (if any), its UpdatedDateUTC in milliseconds and its JSON
`data`. Filters run inside SQLite through `json_extract`, so large organisations stay fast.
"""
import json
import sqlite3
import threading
from contextlib import contextmanager

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    tenant TEXT,
    updated_ms INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS records_kind_id ON records (kind, id);
CREATE INDEX IF NOT EXISTS records_tenant ON records (kind, tenant, seq);
CREATE INDEX IF NOT EXISTS records_updated ON records (kind, tenant, updated_ms);
CREATE INDEX IF NOT EXISTS records_name
    ON records (kind, tenant, json_extract(data, '$.Name') COLLATE NOCASE, seq,
                json_extract(data, '$.ContactStatus'), json_extract(data, '$.IsCustomer'));
CREATE INDEX IF NOT EXISTS records_status
    ON records (kind, tenant, json_extract(data, '$.ContactStatus'),
                json_extract(data, '$.IsCustomer'));
CREATE INDEX IF NOT EXISTS records_invoice_contact
    ON records (tenant, json_extract(data, '$.Contact.ContactID')) WHERE kind = 'invoice';
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """Records in SQLite (a file, or memory when `path` is None) behind one re-entrant lock."""

    def __init__(self, path=None):
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False,
                                   isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self):
        """Hold the lock and run the block in one SQLite transaction (nesting joins the outer one)."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    def rows(self, sql, params=()):
        """Raw result rows of a query."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def get(self, kind, record_id):
        """The record's data, or None."""
        rows = self.rows("SELECT data FROM records WHERE kind=? AND id=?", (kind, record_id))
        return json.loads(rows[0][0]) if rows else None

    def put(self, kind, record_id, data, tenant=None, updated_ms=0):
        """Insert or replace one record, keeping its original position (seq) on update."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO records (kind, id, tenant, updated_ms, data) VALUES (?,?,?,?,?) "
                "ON CONFLICT(kind, id) DO UPDATE SET tenant=excluded.tenant, "
                "updated_ms=excluded.updated_ms, data=excluded.data",
                (kind, record_id, tenant, updated_ms, json.dumps(data)))

    def put_many(self, kind, rows):
        """Bulk insert `(id, tenant, updated_ms, data)` tuples."""
        with self.transaction():
            self._db.executemany(
                "INSERT INTO records (kind, id, tenant, updated_ms, data) VALUES (?,?,?,?,?)",
                ((kind, rid, tenant, ms, json.dumps(data)) for rid, tenant, ms, data in rows))

    def delete(self, kind, record_id):
        """Remove one record; True if it existed."""
        with self.transaction():
            cur = self._db.execute("DELETE FROM records WHERE kind=? AND id=?", (kind, record_id))
            return cur.rowcount > 0

    def delete_where(self, kind, condition, params=()):
        """Remove every record of `kind` matching an SQL condition over `data`/`tenant`."""
        with self.transaction():
            return self._db.execute(
                f"DELETE FROM records WHERE kind=? AND ({condition})", (kind, *params)).rowcount

    def execute(self, sql, params=()):
        """Run a raw statement (used for set-based updates such as renaming a contact on invoices)."""
        with self.transaction():
            return self._db.execute(sql, params).rowcount

    def select(self, kind, tenant=None, where="1", params=(), order="seq", limit=-1, offset=0):
        """Records of `kind` (in `tenant` when given) matching an SQL condition, as dicts."""
        tenant_sql, tenant_params = ("AND tenant=?", (tenant,)) if tenant is not None else ("", ())
        rows = self.rows(
            f"SELECT data FROM records WHERE kind=? {tenant_sql} AND ({where}) "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            (kind, *tenant_params, *params, limit, offset))
        return [json.loads(row[0]) for row in rows]

    def count(self, kind, tenant=None, where="1", params=()):
        """How many records `select` would return without a limit."""
        tenant_sql, tenant_params = ("AND tenant=?", (tenant,)) if tenant is not None else ("", ())
        rows = self.rows(f"SELECT count(*) FROM records WHERE kind=? {tenant_sql} AND ({where})",
                          (kind, *tenant_params, *params))
        return rows[0][0]

    def column(self, sql, params=()):
        """The first column of an arbitrary query, as a list."""
        return [row[0] for row in self.rows(sql, params)]

    def meta(self, key, default=None):
        """A stored setting (JSON-decoded)."""
        rows = self.rows("SELECT value FROM meta WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_meta(self, key, value):
        """Store a setting."""
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                             (key, json.dumps(value)))

    def analyze(self):
        """Refresh the query planner's statistics (after bulk loads)."""
        with self._lock:
            self._db.execute("ANALYZE")

    def clear(self):
        """Forget everything."""
        with self.transaction():
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM meta")

    def is_empty(self):
        """True before any state has been written."""
        return not self.rows("SELECT 1 FROM records LIMIT 1")
