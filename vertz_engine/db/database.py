"""Connections, transactions and the migration lock, per dialect.

Every unit of work runs on an AUTOCOMMIT connection with an explicit ``BEGIN``: Python's
sqlite3 driver would otherwise run DDL outside any transaction. On SQLite the transaction
is ``BEGIN IMMEDIATE`` (the lock), with ``PRAGMA foreign_keys=OFF`` set before it, since
the pragma does nothing inside a transaction and a table rebuild must not cascade;
the foreign key check (violations the change added: sqlite_fk.py) runs before ``COMMIT``. On PostgreSQL the lock is a session
advisory lock, on MySQL/MariaDB ``GET_LOCK``; both are taken before the transaction, held
across it, and released even when the work fails.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from vertz_engine.db.raw import Raw
from vertz_engine.db.sqlite_fk import ForeignKeyBaseline
from vertz_engine.dialects import Traits, traits
from vertz_engine.errors import DatabaseUnreachable, LockTimeout
from vertz_engine.remedies import Setting, Text
from vertz_engine.secrets import mask_url, mask_urls_in

LOCK_NAME = "flask_vertz_migrations"
PG_LOCK_KEY = zlib.crc32(LOCK_NAME.encode())  # a stable 32-bit key


def safe_url(engine: Engine) -> str:
    """The engine's URL with the password masked (user info and query)."""
    return mask_url(engine.url)


@contextmanager
def connect(engine: Engine, *, lock_timeout: float = 30.0) -> Iterator[Connection]:
    """An autocommit connection; an unreachable database is one clear error, and so is a
    SQLite database that stays locked by another process for ``lock_timeout`` seconds."""
    try:
        conn = engine.connect()
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnreachable(
            f"cannot connect to the database at {safe_url(engine)}: {mask_urls_in(reason)}"
        ) from None
    sqlite = traits(engine).sqlite
    busy_before = 0
    try:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT", no_parameters=True)
        if sqlite:
            busy_before = _sqlite_pragma(conn, "busy_timeout")
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        try:
            yield conn
        except sa.exc.OperationalError as exc:
            if sqlite and "locked" in str(exc.orig).lower():
                raise LockTimeout(
                    Text(
                        "the database is locked by another process and stayed locked for "
                        f"{lock_timeout:g}s (",
                        Setting.LOCK_TIMEOUT,
                        ")",
                    )
                ) from None
            raise
        finally:
            if sqlite and not conn.closed and not conn.invalidated:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_before}")
    finally:
        conn.close()


def exists(engine: Engine) -> bool:
    """False for a SQLite file that does not exist yet (reading it must not create it)."""
    if not traits(engine).file_based:
        return True
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return True
    return Path(path).exists()


def _sqlite_pragma(conn: Connection, name: str) -> int:
    return int(conn.exec_driver_sql(f"PRAGMA {name}").scalar() or 0)


class Transaction:
    """A unit of work :func:`transaction` opened, and the statements it runs last."""

    def __init__(self) -> None:
        self.last: list[str] = []

    def with_commit(self, sql: str) -> None:
        """Run ``sql`` (literal, no parameters) as the last statement of the transaction;
        where the database allows it, it travels with the COMMIT."""
        self.last.append(sql)


@contextmanager
def transaction(
    conn: Connection, *, enabled: bool = True, fk_check: bool | Sequence[str] = True
) -> Iterator[Transaction]:
    """One transaction, owned by us (explicit BEGIN/COMMIT). ``enabled=False``: every
    statement on its own (whether a migration runs in a transaction is decided by
    :func:`vertz_engine.txmode.run_mode`, never here).

    On SQLite it is ``BEGIN IMMEDIATE`` (the write lock; waiting for it is ``connect``'s
    busy timeout) inside a :func:`sqlite_session`, and the foreign key check refuses rows
    the transaction left pointing nowhere (see :mod:`sqlite_fk`): on every table
    (``fk_check=True``), on the tables the given statements name, or not at all (false or
    no statements)."""
    tx = Transaction()
    if not enabled:
        yield tx
        for sql in tx.last:
            conn.exec_driver_sql(sql)
        return
    t = traits(conn)
    raw = Raw(conn)
    with sqlite_session(conn):
        raw.run(t.begin)
        try:
            baseline = None
            if t.sqlite and fk_check:
                scope = None if fk_check is True else list(fk_check)
                baseline = ForeignKeyBaseline(raw, scope)
            yield tx
            if baseline is not None:
                for sql in tx.last:
                    raw.run(sql)  # the foreign key check sees the bookkeeping too
                tx.last.clear()
                baseline.verify(raw)
        except BaseException:
            raw.run("ROLLBACK")
            raise
        _commit(raw, tx.last, t)


def _commit(raw: Raw, last: list[str], t: Traits) -> None:
    try:
        if t.commit_in_one_round_trip and last:
            raw.run("; ".join([*last, "COMMIT"]))  # one round trip: bookkeeping and COMMIT
        else:
            for sql in last:
                raw.run(sql)
            raw.run("COMMIT")
    except sa.exc.DBAPIError:
        try:
            raw.run("ROLLBACK")
        except sa.exc.DBAPIError:
            pass  # the connection is gone; the server rolled back
        raise


@contextmanager
def sqlite_session(conn: Connection) -> Iterator[None]:
    """For a run of transactions on SQLite: foreign keys off once, before any of them (the
    pragma does nothing inside a transaction), and back as they were after. Inside another
    session (or where they were off anyway) there is nothing to do: the pragma says so."""
    if not traits(conn).sqlite or not _sqlite_pragma(conn, "foreign_keys"):
        yield
        return
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=1")


@contextmanager
def lock(conn: Connection, *, timeout: float) -> Iterator[None]:
    """The migration lock for the whole session (SQLite: each transaction locks instead)."""
    t = traits(conn)
    if t.postgresql:
        deadline = time.monotonic() + timeout
        delay = 0.02
        while not conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({PG_LOCK_KEY})").scalar():
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    Text(
                        f"could not take the migration lock within {timeout:g}s (",
                        Setting.LOCK_TIMEOUT,
                        f"); {_pg_holder(conn)}",
                    )
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_LOCK_KEY})")
    elif t.mysql:
        key = _mysql_lock_name(conn)
        got = conn.exec_driver_sql(f"SELECT GET_LOCK('{key}', {max(int(timeout), 0)})").scalar()
        if got != 1:
            holder = conn.exec_driver_sql(f"SELECT IS_USED_LOCK('{key}')").scalar()
            raise LockTimeout(
                Text(
                    f"could not take the migration lock within {timeout:g}s (",
                    Setting.LOCK_TIMEOUT,
                    f"); it is held by MySQL connection {holder}",
                )
            )
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT RELEASE_LOCK('{key}')")
    else:
        yield


def _mysql_lock_name(conn: Connection) -> str:
    db = conn.exec_driver_sql("SELECT DATABASE()").scalar() or ""
    safe = "".join(ch for ch in str(db) if ch.isalnum() or ch == "_")
    return f"vertz_{safe}"[:64]


def _pg_holder(conn: Connection) -> str:
    row = conn.exec_driver_sql(
        "SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        f"WHERE l.locktype = 'advisory' AND l.granted AND l.objid = {PG_LOCK_KEY} LIMIT 1"
    ).first()
    if row is None:
        return "the holder could not be found"
    app = f" ({row.application_name})" if row.application_name else ""
    return f"it is held by PostgreSQL backend pid {row.pid}{app} from {row.client_addr or 'a local socket'} since {row.backend_start}"
