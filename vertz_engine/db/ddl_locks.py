"""Lock discipline in deploy: a DDL lock timeout, bounded retries with backoff and jitter,
and the sessions that hold the lock a statement waits for.

A DDL statement queued behind one open transaction stalls every reader and writer of the
table queued behind it. So deploy waits at most ``timeout`` seconds for a lock (PostgreSQL
``SET LOCAL lock_timeout`` per transaction, MySQL/MariaDB ``lock_wait_timeout`` per
session), then gives up, waits a growing, jittered delay and tries again, ``retries`` times.
A try that timed out applied nothing. While a statement runs, a second connection asks the
database who blocks it (PostgreSQL ``pg_blocking_pids`` + ``pg_stat_activity``, MariaDB
``INNODB_TRX`` + ``PROCESSLIST``), so that every report names the holder.

``CREATE INDEX CONCURRENTLY`` gets no timeout: it blocks no reader or writer while it waits,
and one that gave up would leave an invalid index behind.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.dialects import LockSql, traits
from vertz_engine.errors import MigrationFailed, NotApplied
from vertz_engine.remedies import Hint, Remedy, Text

#: the delay before the first retry, in seconds; each later one doubles, up to the cap; the
#: delay actually slept is drawn between half of it and all of it (jitter), so that several
#: deploys that timed out together do not come back together
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 8.0
#: the longest pause between two questions "who blocks this statement?"
WATCH_INTERVAL = 0.25

T = TypeVar("T")


@dataclass(frozen=True)
class LockPolicy:
    """How long deploy waits for a table lock (``timeout`` seconds per try; 0: as long as the
    database lets it, and no retry), and how often it tries again."""

    timeout: float = 2.0
    retries: int = 4
    backoff_first: float = BACKOFF_FIRST
    backoff_cap: float = BACKOFF_CAP

    @property
    def on(self) -> bool:
        return self.timeout > 0

    @property
    def tries(self) -> int:
        return 1 + max(self.retries, 0) if self.on else 1

    def delay(self, attempt: int) -> float:
        """Seconds to wait after try ``attempt`` (1-based) timed out."""
        full = min(self.backoff_cap, self.backoff_first * 2 ** (attempt - 1))
        return random.uniform(full / 2, full)


@dataclass(frozen=True)
class Holder:
    """A session that holds a lock another one waits for."""

    label: str  # "PostgreSQL", "MariaDB"
    noun: str  # "pid", "connection"
    id: int
    user: str
    application: str
    client: str
    state: str
    seconds: int | None  # how long its transaction has been open
    query: str

    def describe(self) -> str:
        who = [f"user {self.user}"] if self.user else []
        if self.application:
            who.append(f"application {self.application!r}")
        if self.client:
            who.append(f"from {self.client}")
        text = f"{self.label} {self.noun} {self.id}"
        if who:
            text += f" ({', '.join(who)})"
        facts = [self.state] if self.state else []
        if self.seconds is not None:
            facts.append(f"transaction open {self.seconds} s")
        query = " ".join(self.query.split())
        if query:
            facts.append(f"last statement: {query[:117] + '...' if len(query) > 120 else query}")
        return f"{text}: {', '.join(facts)}" if facts else text


@dataclass(frozen=True)
class LockWait:
    """A try of migration ``name`` that gave up waiting for a lock; given to deploy's progress
    callback before the next try."""

    name: str
    attempt: int
    tries: int
    timeout: float
    waited: float  # seconds this try waited
    retry_in: float  # seconds until the next try
    holders: tuple[str, ...]  # Holder.describe() of each session that held the lock

    def describe(self) -> str:
        held = "; ".join(self.holders) if self.holders else "the holder could not be identified"
        return (
            f"{self.name}: waited {self.waited:.1f} s for a lock (lock timeout {self.timeout:g} "
            f"s), try {self.attempt} of {self.tries}; held by {held}. Next try in "
            f"{self.retry_in:.1f} s."
        )


class _Watcher:
    """A thread with its own connection that, while armed, asks every ``interval`` seconds
    which sessions block session ``waiter``; keeps the last non-empty answer."""

    def __init__(self, conn: Connection, sql: LockSql, waiter: int, interval: float) -> None:
        self._engine = conn.engine
        self._sql = sql
        self._label = traits(conn).label
        self._query = sql.holders.format(id=int(waiter))
        self._interval = interval
        self._armed = threading.Event()
        self._stop = threading.Event()
        self._mutex = threading.Lock()
        self._conn: Connection | None = None
        self.seen: tuple[Holder, ...] = ()
        self._thread = threading.Thread(target=self._loop, name="vertz-lock-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            self._armed.wait()
            if self._stop.wait(self._interval):
                return
            with self._mutex:
                if self._armed.is_set():
                    self._poll()

    def _poll(self) -> None:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT", no_parameters=True
                )
            rows = self._conn.exec_driver_sql(self._query).all()
        except sa.exc.SQLAlchemyError:
            return  # the report is a courtesy: it never breaks a deploy
        holders = tuple(self._holder(tuple(r)) for r in rows)
        if holders:
            self.seen = holders

    def _holder(self, r: Sequence[object]) -> Holder:
        def text(v: object) -> str:
            return str(v) if v is not None else ""

        return Holder(
            label=self._label,
            noun=self._sql.session_noun,
            id=int(str(r[0])),
            user=text(r[1]),
            application=text(r[2]),
            client=text(r[3]),
            state=text(r[4]),
            seconds=None if r[5] is None else int(str(r[5])),
            query=text(r[6]),
        )

    @contextmanager
    def armed(self) -> Iterator[None]:
        with self._mutex:
            self.seen = ()
            self._armed.set()
        try:
            yield
        finally:
            with self._mutex:
                self._armed.clear()

    def forget(self) -> None:
        with self._mutex:
            self.seen = ()

    def close(self) -> None:
        self._stop.set()
        self._armed.set()
        self._thread.join()
        if self._conn is not None:
            self._conn.close()


class Discipline:
    """Lock discipline for one deploy on one connection; see the module docstring.
    ``notify`` is given a :class:`LockWait` before each retry."""

    def __init__(
        self, conn: Connection, policy: LockPolicy, notify: Callable[[LockWait], None]
    ) -> None:
        self.conn = conn
        self.policy = policy
        self.notify = notify
        db = traits(conn)
        self.sql = db.lock_sql if policy.on else None
        self._watcher: _Watcher | None = None
        self._dirty = False  # the session's timeout was changed
        self._statement_tries: dict[tuple[str, int], int] = {}
        self._started = time.monotonic()  # when the statement running on its own began

    @contextmanager
    def session(self) -> Iterator[Discipline]:
        """For the whole run of files: the watcher, and where the database has no per
        transaction timeout, the session's; both undone after."""
        if self.sql is None:
            yield self
            return
        waiter = self.conn.exec_driver_sql(self.sql.session_id).scalar()
        interval = min(WATCH_INTERVAL, self.policy.timeout / 4)
        self._watcher = _Watcher(self.conn, self.sql, int(str(waiter)), interval)
        try:
            if not self.sql.per_transaction:
                self._set(self.sql.set_session, self.policy.timeout)
            yield self
        finally:
            self._watcher.close()
            self._watcher = None
            if self._dirty and not self.conn.closed and not self.conn.invalidated:
                self.conn.exec_driver_sql(self.sql.reset)

    def _set(self, template: str, seconds: float, *, session: bool = True) -> None:
        ms = int(round(seconds * 1000))
        whole = max(1, -int(-seconds // 1))
        self.conn.exec_driver_sql(template.format(ms=ms, s=whole))
        self._dirty = self._dirty or session

    def in_transaction(self) -> None:
        """At the start of a migration's transaction: its lock timeout."""
        if self.sql is not None and self.sql.per_transaction:
            self._set(self.sql.set_local, self.policy.timeout, session=False)

    def before_statement(self, statement: str) -> None:
        """Before a statement that runs on its own (no transaction): its lock timeout, none
        for ``CREATE INDEX CONCURRENTLY``."""
        self._started = time.monotonic()
        if self.sql is None or not self.sql.per_transaction:
            return
        self._set(self.sql.set_session, 0 if concurrently(statement) else self.policy.timeout)

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Ask who blocks the statements run inside."""
        if self._watcher is None:
            yield
            return
        with self._watcher.armed():
            yield

    def holders(self) -> tuple[str, ...]:
        return tuple(h.describe() for h in self._watcher.seen) if self._watcher else ()

    def run(self, name: str, attempt: Callable[[], T], *, not_applied: bool = True) -> T:
        """``attempt()`` (one transaction that rolls back as a whole), tried again after a
        lock timeout; after the last try, :class:`NotApplied` naming the holder (or, with
        ``not_applied=False``, where something of the file is applied already, the last
        timeout itself)."""
        for n in range(1, self.policy.tries + 1):
            start = time.monotonic()
            try:
                with self.watching():
                    return attempt()
            except MigrationFailed as exc:
                if not exc.lock_timeout:
                    raise
                if n == self.policy.tries:
                    if not not_applied:
                        raise
                    raise self.not_applied(exc, n) from None
                self._pause(name, n, time.monotonic() - start)
        raise AssertionError("unreachable")  # pragma: no cover

    def retry_statement(self, failure: MigrationFailed) -> bool:
        """For a statement that runs on its own and gave up waiting for a lock (and so did
        nothing): wait and say True to run it again, or False when its tries are used up."""
        key = (failure.name, failure.index or 0)
        n = self._statement_tries.get(key, 0) + 1
        self._statement_tries[key] = n
        if self.sql is None or n >= self.policy.tries:
            return False
        self._pause(failure.name, n, time.monotonic() - self._started)
        return True

    def tries_of(self, failure: MigrationFailed) -> int:
        return self._statement_tries.get((failure.name, failure.index or 0), 1)

    def _pause(self, name: str, attempt: int, waited: float) -> None:
        delay = self.policy.delay(attempt)
        self.notify(
            LockWait(
                name, attempt, self.policy.tries, self.policy.timeout, waited, delay, self.holders()
            )
        )
        if self._watcher is not None:
            self._watcher.forget()
        time.sleep(delay)

    def not_applied(self, exc: MigrationFailed, tries: int) -> NotApplied:
        """``exc`` (a lock timeout that applied nothing) as "not applied, retry"."""
        holders = self.holders()
        policy = ""
        if self.sql is not None:
            policy = f" ({self.policy.timeout:g} s, {tries} tr{'y' if tries == 1 else 'ies'})"
        who = ""
        if holders:
            who = f" The lock is held by {'; '.join(holders)}."
        elif self.sql is not None:
            who = " The session holding it could not be identified."
        return NotApplied(
            Text(
                exc.text,
                "\nNot applied, retry: the statement waited for a lock longer than the lock "
                f"timeout{policy}, so nothing of {exc.name} was applied and nothing is recorded "
                f"(no resolve needed).{who} Run `",
                Hint(Remedy.DEPLOY),
                "` again once the transaction holding the lock has finished.",
            ),
            name=exc.name,
            statement=exc.statement,
            index=exc.index,
            holders=holders,
            tries=tries,
        )


def concurrently(statement: str | None) -> bool:
    """``CREATE INDEX CONCURRENTLY`` (which can leave an invalid index when it fails)."""
    from vertz_engine.files.sqlwords import words  # sqlparse: only when statements run

    return any(w.up == "CONCURRENTLY" for w in words(statement or ""))
