"""One frozen traits object per database: every per-database fact lives here, once.

Code elsewhere asks a question of the traits (``traits(conn).transactional_ddl``,
``traits(name).native_enums``) instead of comparing dialect names; MariaDB extends MySQL
(``MARIADB = replace(MYSQL, ...)``) the way Alembic's ``MariaDBImpl(MySQLImpl)`` does.

``traits()`` takes what callers have at hand: a dialect name (``"mariadb"``, ``"postgres"``,
``"sqlite3"``), a SQLAlchemy ``Dialect``, a ``Connection`` or an ``Engine``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

Family = Literal["sqlite", "postgresql", "mysql"]


def _frozen(d: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(d)


@dataclass(frozen=True)
class LockSql:
    """How deploy bounds its wait for a table lock on one database (lock discipline), and
    how it asks who holds the lock. In ``timeout``, ``{ms}`` is the timeout in milliseconds
    and ``{s}`` in whole seconds (at least 1); in ``holders``, ``{id}`` is the waiting
    session's id."""

    timeout: str  # "variable = value": the setting that bounds a wait for a lock
    # SET LOCAL works (PostgreSQL): the timeout is set per transaction; else per session,
    # once for the whole run
    per_transaction: bool
    session_id: str  # the query for this session's id
    session_noun: str  # what the database calls a session, for people ("pid", "connection")
    # the sessions blocking session {id}: (id, user, application, client, state,
    # seconds the transaction is open, its last statement)
    holders: str

    @property
    def set_local(self) -> str:
        return f"SET LOCAL {self.timeout}"

    @property
    def set_session(self) -> str:
        return f"SET SESSION {self.timeout}"

    @property
    def reset(self) -> str:
        """The session's value back to the server's default."""
        return f"SET SESSION {self.timeout.split('=')[0].strip()} = DEFAULT"


_PG_TIMEOUT = "lock_timeout = '{ms}ms'"
_MYSQL_TIMEOUT = "lock_wait_timeout = {s}"
_PG_HOLDERS = (
    "SELECT a.pid, a.usename, a.application_name, host(a.client_addr), a.state, "
    "CAST(EXTRACT(EPOCH FROM now() - a.xact_start) AS integer), a.query "
    "FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids({id})) "
    "ORDER BY a.xact_start, a.pid"
)
# MariaDB has no pg_blocking_pids (and metadata_lock_info is a plugin, rarely loaded): while
# the session waits for a lock, the open InnoDB transactions of other sessions are the holders
_MYSQL_HOLDERS = (
    "SELECT t.trx_mysql_thread_id, p.USER, '', p.HOST, p.COMMAND, "
    "TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), COALESCE(p.INFO, t.trx_query) "
    "FROM information_schema.INNODB_TRX t "
    "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
    "WHERE t.trx_mysql_thread_id <> {id} AND EXISTS (SELECT 1 FROM "
    "information_schema.PROCESSLIST w WHERE w.ID = {id} AND w.STATE LIKE 'Waiting for%lock%') "
    "ORDER BY t.trx_started, t.trx_mysql_thread_id"
)


@dataclass(frozen=True)
class Traits:
    """What flask-vertz needs to know about one database."""

    name: str  # SQLAlchemy's dialect name ("mariadb" for MariaDB)
    family: Family  # the SQL it speaks: files, lexicon and catalog queries are per family
    label: str  # for people: "PostgreSQL", "MySQL", "MariaDB", "SQLite"
    max_identifier: int  # the longest identifier
    # DDL runs inside a transaction and rolls back with it (MySQL commits each DDL itself)
    transactional_ddl: bool = False
    # a file may ask to run outside a transaction (-- vertz:no-transaction) and mean it;
    # SQLite always runs a file in one transaction (its write lock is the transaction)
    honours_no_transaction: bool = False
    # most ALTERs are done by rebuilding the table (SQLite)
    rebuilds_tables: bool = False
    # the database names unnamed constraints itself, by rules flask-vertz must follow
    names_constraints: bool = False
    # whether the identifier limit counts bytes (PostgreSQL's NAMEDATALEN - 1)
    identifier_limit_in_bytes: bool = False
    identifier_quote: str = '"'
    # ENUM is a type of its own (CREATE TYPE ... AS ENUM) rather than a column property
    native_enums: bool = False
    # string literals treat a backslash as an escape character
    backslash_escapes: bool = False
    # an index's dialect keyword arguments (postgresql_where, sqlite_where, ...) are kept
    keeps_index_options: bool = False
    # a session-level advisory lock serializes deploys (SQLite: the file's write lock)
    advisory_lock: bool = False
    # spellings of one type that this database reports for what the models declared
    # (on top of the spellings every database shares: canonical._TYPE_ALIASES)
    type_aliases: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    # the database is one file (no file: in memory): copying the file copies the database,
    # and a new file is an empty database (SQLite)
    file_based: bool = False
    # the keyword prefixes of table/index options this database reads (mysql_engine, ...)
    option_prefixes: tuple[str, ...] = ()
    # the statement that opens a transaction (SQLite: BEGIN IMMEDIATE takes the write lock now)
    begin: str = "BEGIN"
    # the last statements of a transaction can travel with its COMMIT, in one round trip
    commit_in_one_round_trip: bool = False
    # a failed statement aborts the whole transaction: a query that may fail needs a savepoint
    error_aborts_transaction: bool = False
    # the SQL function that counts a string's characters
    char_length: str = "CHAR_LENGTH"
    # TEXT holds at most 64 KiB: flask-vertz's documents (snapshots, notes) need LONGTEXT
    short_text: bool = False
    # indexes build without blocking writes (CREATE INDEX CONCURRENTLY, outside a
    # transaction) and constraints are added NOT VALID, then validated apart (PostgreSQL)
    concurrent_indexes: bool = False
    # the ALTER clauses that make the server refuse, rather than copy the table, where it
    # cannot change it online: for indexes (and UNIQUE), and for ADD COLUMN (MySQL/MariaDB)
    online_index: tuple[str, ...] = ()
    online_add_column: tuple[str, ...] = ()
    # a server that many sessions use at once, where DDL that holds a table lock for long
    # stalls live readers and writers (lint's lock and rewrite rules apply)
    serves_concurrent_sessions: bool = False
    # deploy's DDL lock timeout and who holds a lock; None: no such thing (SQLite waits for
    # its one write lock with the busy timeout)
    lock_sql: LockSql | None = None
    # the session statements that turn foreign key checks off and on again around dropping
    # every table (MySQL/MariaDB refuse to drop a parent first); None: not needed
    foreign_key_checks_off: tuple[str, str] | None = None

    # -- what a plan must do on this database (plan/), all False unless the database says so
    # BOOLEAN and UUID are types of their own (literals false, '0000...-0000'), not integers
    # and CHAR(32)
    native_boolean: bool = False
    native_uuid: bool = False
    # autoincrement is a sequence of its own (serial), given and taken away by hand; inserting
    # explicit ids does not move it (restoring rows moves it past them: setval)
    serial_sequences: bool = False
    # an identity column is altered in place (ADD GENERATED ... / DROP IDENTITY)
    alters_identity: bool = False
    # a column's new type says how the values convert (ALTER ... TYPE ... USING)
    alter_type_using: bool = False
    # Alembic's ALTER COLUMN ... TYPE drops the named CHECK the old type made by itself
    # (its MySQL implementation leaves type-made checks alone)
    alter_type_drops_named_check: bool = False
    # renaming a table keeps the names the database derived from it (serial sequences,
    # constraints it named), so they are renamed after it as create_all would name them
    table_rename_keeps_derived_names: bool = False
    # ALTER TABLE changes a table's options (ENGINE=, CHARSET=, ...)
    alters_table_options: bool = False
    # a foreign key gets an index of its own, which stays when the key is dropped
    keeps_foreign_key_index: bool = False

    @property
    def sqlite(self) -> bool:
        return self.family == "sqlite"

    @property
    def postgresql(self) -> bool:
        return self.family == "postgresql"

    @property
    def mysql(self) -> bool:
        """MySQL or MariaDB."""
        return self.family == "mysql"

    def quote(self, name: str) -> str:
        q = self.identifier_quote
        return q + name.replace(q, q + q) + q


SQLITE = Traits(
    name="sqlite",
    family="sqlite",
    label="SQLite",
    transactional_ddl=True,
    rebuilds_tables=True,
    max_identifier=10_000,
    keeps_index_options=True,
    file_based=True,
    option_prefixes=("sqlite_",),
    begin="BEGIN IMMEDIATE",
    char_length="LENGTH",
)

POSTGRESQL = Traits(
    name="postgresql",
    family="postgresql",
    label="PostgreSQL",
    transactional_ddl=True,
    honours_no_transaction=True,
    names_constraints=True,
    max_identifier=63,
    identifier_limit_in_bytes=True,
    native_enums=True,
    keeps_index_options=True,
    advisory_lock=True,
    option_prefixes=("postgresql_",),
    native_boolean=True,
    native_uuid=True,
    serial_sequences=True,
    alters_identity=True,
    alter_type_using=True,
    alter_type_drops_named_check=True,
    table_rename_keeps_derived_names=True,
    commit_in_one_round_trip=True,
    error_aborts_transaction=True,
    concurrent_indexes=True,
    serves_concurrent_sessions=True,
    lock_sql=LockSql(_PG_TIMEOUT, True, "SELECT pg_backend_pid()", "pid", _PG_HOLDERS),
)

MYSQL = Traits(
    name="mysql",
    family="mysql",
    label="MySQL",
    honours_no_transaction=True,
    names_constraints=True,
    max_identifier=64,
    identifier_quote="`",
    backslash_escapes=True,
    advisory_lock=True,
    option_prefixes=("mysql_", "mariadb_"),  # MariaDB reads MySQL's options too
    serves_concurrent_sessions=True,
    # no per transaction timeout: DDL commits by itself, there is no transaction
    lock_sql=LockSql(_MYSQL_TIMEOUT, False, "SELECT CONNECTION_ID()", "connection", _MYSQL_HOLDERS),
    type_aliases=_frozen(
        {"BOOLEAN": "TINYINT(1)", "INTEGER(11)": "INTEGER", "BIGINT(20)": "BIGINT"}
    ),
    alters_table_options=True,
    keeps_foreign_key_index=True,
    short_text=True,
    online_index=("ALGORITHM=INPLACE", "LOCK=NONE"),
    # MySQL 8.0.12+ and MariaDB 10.3+ add a column at the end instantly (MySQL's INPLACE
    # would rebuild the table); where they cannot, they refuse at once
    online_add_column=("ALGORITHM=INSTANT",),
    foreign_key_checks_off=("SET FOREIGN_KEY_CHECKS=0", "SET FOREIGN_KEY_CHECKS=1"),
)

MARIADB = replace(
    MYSQL,
    name="mariadb",
    label="MariaDB",
    type_aliases=_frozen({"BOOLEAN": "TINYINT(1)", "JSON": "LONGTEXT"}),
)

_BY_NAME: dict[str, Traits] = {
    "sqlite": SQLITE,
    "sqlite3": SQLITE,
    "postgresql": POSTGRESQL,
    "postgres": POSTGRESQL,
    "mysql": MYSQL,
    "mariadb": MARIADB,
}


class UnknownDialect(ValueError):
    """A database flask-vertz does not support."""


def traits(of: Any) -> Traits:
    """The traits of a dialect name, a SQLAlchemy ``Dialect``, ``Connection`` or ``Engine``."""
    if isinstance(of, Traits):
        return of
    name = of if isinstance(of, str) else getattr(getattr(of, "dialect", of), "name", None)
    if not isinstance(name, str):
        raise UnknownDialect(f"not a database dialect: {of!r}")
    base = name.split("+", 1)[0].lower()
    try:
        return _BY_NAME[base]
    except KeyError:
        raise UnknownDialect(f"unknown database dialect {name!r}") from None


def known(name: str) -> bool:
    return name.split("+", 1)[0].lower() in _BY_NAME


@lru_cache(maxsize=16)
def dialect_for(name: str) -> Dialect:
    """SQLAlchemy's dialect instance for rendering, by name (``sqlite``, ``postgresql``,
    ``mysql``, ``mariadb``); SQLAlchemy's dialect module is loaded on first use."""
    from sqlalchemy.dialects import registry

    try:
        cls = registry.load(name)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy raises NoSuchModuleError
        raise UnknownDialect(f"unknown database dialect {name!r}") from exc
    return cls() if isinstance(cls, type) else cls  # type: ignore[no-any-return]
