"""The tables flask-vertz keeps in the database it migrates.

``_vertz_migrations``: one row per applied (or failed) migration file.
``_vertz_state``: one row describing the schema the database has, as flask-vertz left it:
its fingerprint and, where known, its snapshot. A database without the row (a fresh one,
or one changed behind flask-vertz's back) is compared with the models by reflection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.db import catalog
from vertz_engine.db.longtext import LongText
from vertz_engine.db.raw import Raw
from vertz_engine.errors import SnapshotError
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot

HISTORY_TABLE = "_vertz_migrations"
STATE_TABLE = "_vertz_state"
APPLIED, FAILED, RUNNING = "applied", "failed", "running"
# a rollback that ran on its own statements (MySQL DDL, a no-transaction file): in progress,
# or failed part-way; ``statements_done`` counts rollback statements
ROLLING_BACK, ROLLBACK_FAILED = "rolling_back", "rollback_failed"


_md = sa.MetaData()
history = sa.Table(
    HISTORY_TABLE,
    _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("checksum", sa.String(80), nullable=False),
    sa.Column("applied_at", sa.String(32), nullable=False),
    sa.Column("execution_ms", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.String(16), nullable=False, server_default=APPLIED),  # 15 chars max
    sa.Column("statements_done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("note", LongText()),
)
state = sa.Table(
    STATE_TABLE,
    _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("fingerprint", sa.String(80), nullable=False),
    sa.Column("snapshot", LongText()),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.Column("catalog", sa.String(80)),  # see catalog.py
)


@dataclass(frozen=True)
class HistoryRow:
    id: int
    name: str
    checksum: str
    applied_at: str
    execution_ms: int
    status: str
    statements_done: int
    note: str | None


@dataclass(frozen=True)
class State:
    fingerprint: str
    snapshot: Snapshot | None
    catalog: str | None = None


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ensure_tables(conn: Connection) -> None:
    """Create the bookkeeping tables if they are missing, and add the columns a table made
    by an earlier flask-vertz lacks."""
    _md.create_all(conn, checkfirst=True)
    for table in (history, state):
        have = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                conn.execute(sa.text(_add_column_sql(conn, table, column)))


def _add_column_sql(conn: Connection, table: sa.Table, column: sa.Column[Any]) -> str:
    q = conn.dialect.identifier_preparer
    kind = column.type.compile(dialect=conn.dialect)
    return f"ALTER TABLE {q.quote(table.name)} ADD COLUMN {q.quote(column.name)} {kind}"


def _missing_table(exc: sa.exc.DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(
        s in text
        for s in ("no such table", "does not exist", "doesn't exist", "undefined table", "1146")
    )


def _missing_column(exc: sa.exc.DBAPIError) -> bool:
    # a _vertz_state made by an earlier flask-vertz, without the catalog column
    text = str(exc.orig).lower()
    return "catalog" in text and "column" in text


def read_history(conn: Connection) -> list[HistoryRow] | None:
    """All rows in id order; None if the table does not exist."""
    try:
        rows = conn.execute(sa.select(history).order_by(history.c.id)).all()
    except sa.exc.DBAPIError as exc:
        if _missing_table(exc):
            return None
        raise
    return [HistoryRow(**r._mapping) for r in rows]


def read_fingerprint(conn: Connection) -> str | None:
    """The fingerprint of the schema the database has, as flask-vertz recorded it."""
    try:
        return conn.execute(sa.select(state.c.fingerprint).where(state.c.id == 1)).scalar()
    except sa.exc.DBAPIError as exc:
        if _missing_table(exc):
            return None
        raise


def read_state(conn: Connection) -> State | None:
    try:
        row = conn.execute(
            sa.select(state.c.fingerprint, state.c.snapshot, state.c.catalog).where(state.c.id == 1)
        ).first()
    except sa.exc.DBAPIError as exc:
        if _missing_table(exc) or _missing_column(exc):
            return None  # unknown: a later write (ensure_tables first) brings the table up to date
        raise
    if row is None:
        return None
    snap = None
    if row.snapshot:
        try:
            snap = snap_mod.validate(json.loads(row.snapshot), f"table {STATE_TABLE}")
        except (ValueError, SnapshotError):
            snap = None
        if snap is not None and snap_mod.fingerprint(snap) != row.fingerprint:
            snap = None
    return State(row.fingerprint, snap, row.catalog)


def write_state(conn: Connection, fingerprint: str | None, snap: Snapshot | None = None) -> None:
    """Record the schema the database now has (None: unknown, compare by reflection), with
    the catalog fingerprint that lets ``status`` skip reflection while nothing changes."""
    raw = Raw(conn)
    if fingerprint is None:
        raw.run(f"DELETE FROM {STATE_TABLE} WHERE id = 1")
        return
    body = json.dumps(snap, sort_keys=True, separators=(",", ":")) if snap else None
    cat = catalog.fingerprint(conn, snap["tables"] if snap else None)
    values = (fingerprint, body, now(), cat)
    raw.run(
        f"UPDATE {STATE_TABLE} SET fingerprint = ?, snapshot = ?, updated_at = ?, catalog = ? "
        "WHERE id = 1",
        values,
    )
    if raw.rowcount() == 0:
        raw.run(
            f"INSERT INTO {STATE_TABLE} (id, fingerprint, snapshot, updated_at, catalog) "
            "VALUES (1, ?, ?, ?, ?)",
            values,
        )


def user_tables(conn: Connection) -> list[str]:
    """Tables in the database that are not flask-vertz's own."""
    names: list[Any] = sa.inspect(conn).get_table_names()
    return [n for n in names if not n.startswith(snap_mod.RESERVED_PREFIX)]


class Recorder:
    """The one owner of the history table's rows: every insert, update and delete of a row of
    ``_vertz_migrations`` is one of these named operations (reads are :func:`read_history`).

    A file that runs in one transaction is recorded ``applied`` with it (:meth:`applied`,
    or :meth:`applied_sql` to send the row with the COMMIT). One that runs statement by
    statement is :meth:`started`, counts :meth:`progressed`, and ends :meth:`finished` or
    :meth:`failed`; a rollback likewise (:meth:`rolling_back`, :meth:`rollback_failed`,
    :meth:`rolled_back`). :meth:`resolved` and :meth:`rolled_back` record what was done by
    hand."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._raw: Raw | None = None

    @property
    def raw(self) -> Raw:
        # the hot path of a deploy: plain SQL through the DBAPI cursor
        if self._raw is None:
            self._raw = Raw(self.conn)
        return self._raw

    # -- a file recorded whole --------------------------------------------------------------

    def is_recorded(self, name: str) -> bool:
        """Whether ``name`` is in the history (one indexed lookup)."""
        return self.raw.one(f"SELECT 1 FROM {HISTORY_TABLE} WHERE name = ?", (name,)) is not None

    def applied(
        self, name: str, checksum: str, *, execution_ms: int = 0, note: str | None = None
    ) -> None:
        """``name`` is applied (ran, or was recorded without running: baseline, adopt);
        replaces any row it had."""
        self._replace(name, checksum, status=APPLIED, note=note, execution_ms=execution_ms)

    def applied_once(
        self, name: str, checksum: str, execution_ms: int, note: str | None = None
    ) -> None:
        """``name`` is applied and had no row (checked under the lock): one plain INSERT."""
        self.raw.run(_applied_sql(name, checksum, execution_ms, note))

    @staticmethod
    def applied_sql(name: str, checksum: str, execution_ms: int) -> str:
        """:meth:`applied_once` as one literal statement that can travel with a COMMIT."""
        return _applied_sql(name, checksum, execution_ms)

    # -- a file run statement by statement ----------------------------------------------------

    def started(self, name: str, checksum: str, statements: int) -> None:
        self._replace(name, checksum, status=RUNNING, note=f"{statements} statement(s)")

    def progressed(self, name: str, statements_done: int) -> None:
        self._update(name, statements_done=statements_done)

    def finished(self, name: str, *, execution_ms: int, statements: int) -> None:
        self._update(
            name, status=APPLIED, execution_ms=execution_ms, statements_done=statements, note=None
        )

    def resumed(self, name: str) -> None:
        """A file of steps that failed or was interrupted runs again from where it stopped."""
        self._update(name, status=RUNNING)

    def failed(self, name: str, *, statements_done: int, error: str) -> None:
        self._update(name, status=FAILED, statements_done=statements_done, note=error)

    def withdrawn(self, name: str) -> None:
        """``name`` was started but its first statement did nothing (a lock timeout): no row."""
        self._delete(name)

    # -- rollback and resolve -----------------------------------------------------------------

    def rolling_back(self, name: str, *, statements_done: int) -> None:
        self._update(name, status=ROLLING_BACK, statements_done=statements_done)

    def rollback_failed(self, name: str, *, statements_done: int, error: str) -> None:
        self._update(name, status=ROLLBACK_FAILED, statements_done=statements_done, note=error)

    def rolled_back(self, name: str) -> None:
        """``name`` is undone (by its rollback, or by hand): its row goes."""
        self._delete(name)

    def resolved(self, name: str, checksum: str, *, statements_done: int) -> None:
        """``name`` was finished by hand after ``statements_done`` statements."""
        note = f"resolved by hand after {statements_done} statement(s)"
        self._update(name, status=APPLIED, checksum=checksum, note=note)

    # -- the three writes -------------------------------------------------------------------

    def _replace(self, name: str, checksum: str, **values: object) -> None:
        self._delete(name)
        row = {"execution_ms": 0, "statements_done": 0, **values}
        self.conn.execute(
            sa.insert(history).values(name=name, checksum=checksum, applied_at=now(), **row)
        )

    def _update(self, name: str, **values: object) -> None:
        self.conn.execute(sa.update(history).where(history.c.name == name).values(**values))

    def _delete(self, name: str) -> None:
        self.conn.execute(sa.delete(history).where(history.c.name == name))


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _applied_sql(name: str, checksum: str, execution_ms: int, note: str | None = None) -> str:
    """The history row of an applied file as one literal statement (it can travel with a
    COMMIT); the values are names, checksums, numbers and our own notes."""
    values = ", ".join(_literal(v) for v in (name, checksum, now(), execution_ms, APPLIED, 0, note))
    return (
        f"INSERT INTO {HISTORY_TABLE} (name, checksum, applied_at, execution_ms, status, "
        f"statements_done, note) VALUES ({values})"
    )
