"""Running SQL statements inside a transaction the caller owns.

On SQLite a table rebuild (``DROP TABLE t`` then ``ALTER TABLE _alembic_tmp_t RENAME TO t``)
would lose the table's triggers, and the rename would fail on any view that names the
table. So the triggers of a rebuilt table are read before it is dropped and created again
after the rename, and the rename runs with ``legacy_alter_table`` on, which leaves views
(they name the table, which exists again right after) alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
import sqlparse
from sqlalchemy.engine import Connection

from vertz_engine.db.database import connect
from vertz_engine.db.raw import Raw
from vertz_engine.dialects import traits
from vertz_engine.errors import MigrationFailed
from vertz_engine.files.file_format import OUTSIDE_TRANSACTION_MARKER, REBUILD_PREFIX

_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)'
_DROP = re.compile(rf"^DROP TABLE ({_IDENT})\s*;?$", re.I)
_RENAME = re.compile(rf"^ALTER TABLE ({_IDENT}) RENAME TO ({_IDENT})\s*;?$", re.I)


def _reason(exc: sa.exc.DBAPIError) -> str:
    orig = exc.orig if exc.orig is not None else exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def _unquote(name: str) -> str:
    if name[:1] in '"`[':
        return name[1:-1].replace('""', '"')
    return name


# PostgreSQL lock_not_available (lock_timeout); MySQL/MariaDB ER_LOCK_WAIT_TIMEOUT
# (innodb_lock_wait_timeout and lock_wait_timeout for metadata locks)
_PG_LOCK_NOT_AVAILABLE = "55P03"
_MYSQL_LOCK_WAIT_TIMEOUT = 1205
_DML = {"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE"}


def is_lock_timeout(exc: sa.exc.DBAPIError) -> bool:
    """Whether a statement failed because it waited for a lock past the lock timeout."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    if getattr(orig, "pgcode", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    return bool(args) and args[0] == _MYSQL_LOCK_WAIT_TIMEOUT


def data_statements(statements: list[str]) -> list[str]:
    """The statements that change rows, not the schema (``INSERT``/``UPDATE``/``DELETE``/
    ``MERGE``, ``WITH ... UPDATE``): not the copy inside a SQLite table rebuild."""
    out = []
    for statement in statements:
        parsed = sqlparse.parse(statement)
        kind = parsed[0].get_type() if parsed else None  # type: ignore[no-untyped-call]
        if kind not in _DML:
            continue
        if REBUILD_PREFIX in statement:
            continue  # INSERT INTO _alembic_tmp_t ... SELECT: part of a rebuild
        out.append(statement)
    return out


def _rebuild_target(code: str) -> str | None:
    """The table a rebuild's final rename brings back (``ALTER TABLE _alembic_tmp_t RENAME
    TO t``, whatever quoting the names need), or None for any other statement."""
    m = _RENAME.match(code)
    if m and _unquote(m.group(1)).lower() == REBUILD_PREFIX + _unquote(m.group(2)).lower():
        return _unquote(m.group(2))
    return None


def _code(statement: str) -> str:
    lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
    return "\n".join(lines).strip()


def execute(
    conn: Connection,
    statements: list[str],
    *,
    name: str,
    on_statement: Callable[[int], None] | None = None,
    before: Callable[[str], None] | None = None,
    retry: Callable[[MigrationFailed], bool] | None = None,
) -> None:
    """Run ``statements`` in order; the first failure raises :class:`MigrationFailed`.
    ``on_statement(i)`` is called after statement ``i`` (1-based) succeeded; ``before(s)``
    before each statement; ``retry(failure)``, for a statement that gave up waiting for a
    lock, says whether to run it again (statements outside a transaction: see ddl_locks)."""
    # a table rebuild (SQLite) keeps the table's triggers and leaves views alone
    rebuilds = traits(conn).rebuilds_tables
    raw = Raw(conn)
    saved_triggers: dict[str, list[str]] = {}
    total = len(statements)
    for i, statement in enumerate(statements, 1):
        code = _code(statement)
        while True:
            if before is not None:
                before(statement)
            try:
                _run_one(raw, conn, statement, code, saved_triggers, rebuilds)
                break
            except sa.exc.DBAPIError as exc:
                first = " ".join(line.strip() for line in code.splitlines())
                if len(first) > 200:
                    first = first[:197] + "..."
                failure = MigrationFailed(
                    f"{name}: statement {i} of {total} failed: {_reason(exc)}\n    {first}",
                    name=name,
                    statement=statement,
                    index=i,
                    lock_timeout=is_lock_timeout(exc),
                )
                if failure.lock_timeout and retry is not None and retry(failure):
                    continue
                raise failure from None
        if on_statement is not None:
            on_statement(i)


def _run_one(
    raw: Raw,
    conn: Connection,
    statement: str,
    code: str,
    saved_triggers: dict[str, list[str]],
    rebuilds: bool,
) -> None:
    """One statement, with what SQLite's table rebuild needs around it."""
    if rebuilds and (m := _DROP.match(code)):
        table = _unquote(m.group(1))
        # SQLite matches names case-insensitively, and keeps them as written
        raw.run(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = ? COLLATE NOCASE ORDER BY name",
            (table,),
        )
        saved_triggers[table.lower()] = [row[0] for row in raw.cursor.fetchall() if row[0]]
    if statement.lstrip().startswith(OUTSIDE_TRANSACTION_MARKER):
        with connect(conn.engine) as side:
            side.exec_driver_sql(statement)
    elif rebuilds and (rebuilt := _rebuild_target(code)) is not None:
        legacy = raw.one("PRAGMA legacy_alter_table")
        raw.run("PRAGMA legacy_alter_table=ON")
        try:
            raw.run(statement)
        finally:
            raw.run(f"PRAGMA legacy_alter_table={1 if legacy and legacy[0] else 0}")
        for trigger in saved_triggers.pop(rebuilt.lower(), []):
            raw.run(trigger)
    else:
        raw.run(statement)
