"""Backups of what a development boot or ``push`` destroys, taken before it is destroyed.

Before a plan drops a table or a column, or changes a column's type in a way its values may
not survive, the rows that hold data are kept:

- SQLite: the whole database file is copied with SQLite's backup API to
  ``<local snapshot folder>/backups/<name>.sqlite3``, with ``<name>.json`` beside it saying
  what was dropped, when and why.
- PostgreSQL, MySQL/MariaDB: in the same database, under the same lock and (PostgreSQL) in
  the same transaction as the drop: one table ``_vertz_backup_<id>_<n>`` per dropped table
  (its rows) or column (primary key + the column's values; whole rows where the table has
  no primary key), and one row in ``_vertz_backups`` saying what each holds.

The last :data:`KEEP` backups are kept; older ones are removed when a new one is made.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.db.backup_items import Backup, Item, destroys, select_sql, wanted
from vertz_engine.db.database import safe_url
from vertz_engine.db.history import now
from vertz_engine.db.longtext import LongText
from vertz_engine.dialects import traits
from vertz_engine.files.migration_file import write_atomic
from vertz_engine.plan.model import Plan

KEEP = 5  # backups kept; the oldest beyond this are removed when a new one is made
MANIFEST_TABLE = "_vertz_backups"
DATA_PREFIX = "_vertz_backup_"

_md = sa.MetaData()
manifest_table = sa.Table(
    MANIFEST_TABLE,
    _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("manifest", LongText()),
)


# -- stores -----------------------------------------------------------------------------------


def _unique_name(created_at: str, taken: set[str]) -> str:
    """The UTC second the backup was made; later ones in the same second get ``-02``,
    ``-03``, ... after the highest taken (never a pruned name again), so names sort in the
    order the backups were made."""
    base = created_at[:19].replace("-", "").replace(":", "").replace("T", "-")
    same = [t for t in taken if t == base or t.startswith(base + "-")]
    if not same:
        return base
    numbers = [int(t.rsplit("-", 1)[1]) if t != base else 1 for t in same]
    return f"{base}-{max(numbers) + 1:02d}"


class FileStore:
    """SQLite: copies of the database file in a folder, a JSON manifest beside each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def all(self, conn: Connection | None = None) -> list[Backup]:
        out = []
        for path in self.folder.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                backup = Backup.from_dict(data, location=str(path.with_suffix(".sqlite3")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not ours, or half-removed: never fatal
            if Path(backup.location).exists():
                out.append(backup)
        if conn is not None:  # the folder may hold other binds' backups
            out = of_database(conn, out)
        return sorted(out, key=lambda b: (b.created_at, b.name))

    def create(self, conn: Connection, items: list[Item]) -> Backup | None:
        source = _sqlite_source(conn)
        if source is None:
            return None  # an in-memory database: nothing outlives the process anyway
        created = now()
        name = _unique_name(created, {b.name for b in self.all()})
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{name}.sqlite3"
        # Our connection holds the write lock and has changed nothing yet: a second,
        # read-only connection copies the file as it is (the backup API cannot run on a
        # connection inside its own write transaction).
        with closing(source()) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        backup = Backup(name, created, items, str(target), database=safe_url(conn.engine))
        self.save(backup)
        return backup

    def save(self, backup: Backup) -> None:
        text = json.dumps(backup.as_dict(), indent=2, sort_keys=True) + "\n"
        write_atomic(self.folder / f"{backup.name}.json", text)

    def discard(self, conn: Connection, backup: Backup) -> None:
        for suffix in (".json", ".sqlite3"):
            (self.folder / f"{backup.name}{suffix}").unlink(missing_ok=True)

    def prune(self, conn: Connection, keep: int = KEEP) -> None:
        for backup in self.all(conn)[:-keep]:
            self.discard(conn, backup)

    def rows(self, conn: Connection, backup: Backup, item: Item) -> list[tuple[Any, ...]]:
        uri = "file:" + urllib.parse.quote(str(Path(backup.location).resolve())) + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as src:
            return [tuple(r) for r in src.execute(select_sql(conn, item)).fetchall()]


def _sqlite_source(conn: Connection) -> Callable[[], sqlite3.Connection] | None:
    path = conn.engine.url.database
    if not path or path == ":memory:" or "mode=memory" in path:
        return None
    if path.startswith("file:"):
        return lambda: sqlite3.connect(path, uri=True)
    uri = "file:" + urllib.parse.quote(str(Path(path).resolve())) + "?mode=ro"
    return lambda: sqlite3.connect(uri, uri=True)


class TableStore:
    """PostgreSQL, MySQL/MariaDB: backup tables and a manifest table in the same database."""

    def all(self, conn: Connection) -> list[Backup]:
        if not sa.inspect(conn).has_table(MANIFEST_TABLE):
            return []
        rows = conn.execute(sa.select(manifest_table).order_by(manifest_table.c.id)).all()
        out = [Backup.from_dict(json.loads(r.manifest), id=int(r.id)) for r in rows]
        for backup in out:
            backup.location = _in_database(backup.items)
        return out

    def create(self, conn: Connection, items: list[Item]) -> Backup:
        _md.create_all(conn, checkfirst=True)
        last = conn.execute(sa.select(sa.func.max(manifest_table.c.id))).scalar()
        backup_id = int(last or 0) + 1
        created = now()
        taken = {str(n) for n in conn.execute(sa.select(manifest_table.c.name)).scalars()}
        q = conn.dialect.identifier_preparer.quote
        for n, item in enumerate(items, 1):
            data = f"{DATA_PREFIX}{backup_id}_{n}"
            conn.exec_driver_sql(f"CREATE TABLE {q(data)} AS {select_sql(conn, item, copy=True)}")
            item.source = data
        backup = Backup(
            _unique_name(created, taken),
            created,
            items,
            _in_database(items),
            backup_id,
            safe_url(conn.engine),
        )
        conn.execute(
            sa.insert(manifest_table).values(
                id=backup_id,
                name=backup.name,
                created_at=created,
                manifest=json.dumps(backup.as_dict(), sort_keys=True),
            )
        )
        return backup

    def save(self, conn: Connection, backup: Backup) -> None:
        conn.execute(
            sa.update(manifest_table)
            .where(manifest_table.c.id == backup.id)
            .values(manifest=json.dumps(backup.as_dict(), sort_keys=True))
        )

    def discard(self, conn: Connection, backup: Backup) -> None:
        q = conn.dialect.identifier_preparer.quote
        for item in backup.items:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {q(item.source)}")
        conn.execute(sa.delete(manifest_table).where(manifest_table.c.id == backup.id))

    def prune(self, conn: Connection, keep: int = KEEP) -> None:
        for backup in self.all(conn)[:-keep]:
            self.discard(conn, backup)

    def rows(self, conn: Connection, backup: Backup, item: Item) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.exec_driver_sql(select_sql(conn, item)).fetchall()]


def _in_database(items: list[Item]) -> str:
    return "in the database: " + ", ".join(i.source for i in items)


Store = FileStore | TableStore


def store_for(conn: Connection, folder: Path) -> Store:
    return FileStore(folder) if traits(conn).file_based else TableStore()


def save(store: Store, conn: Connection, backup: Backup) -> None:
    if isinstance(store, FileStore):
        store.save(backup)
    else:
        store.save(conn, backup)


def folder_for(local_snapshot_path: Path) -> Path:
    """Where SQLite backups go: ``backups/`` beside the local snapshot."""
    return local_snapshot_path.parent / "backups"


def keep(conn: Connection, plan: Plan, folder: Path) -> Backup | None:
    """Keep what ``plan`` would destroy in ``conn`` (inside the caller's lock and, where the
    dialect has one, transaction), then remove the oldest backups beyond :data:`KEEP`."""
    items = wanted(conn, plan)
    if not items:
        return None
    store = store_for(conn, folder)
    backup = store.create(conn, items)
    if backup is None:
        return None
    store.prune(conn)
    kept = {i.target: i for i in items}
    for change in plan.changes():
        item = kept.get(f"{change.table}.{change.column}" if change.column else change.table)
        if item is not None and destroys(change):
            what = "row(s)" if item.kind == "table" else "value(s)"
            note = f"{item.count} {what} kept in backup {backup.name}"
            change.reason = f"{change.reason}; {note}" if change.kind == "alter_column" else note
            change.fact = ""
    return backup


def discard(conn: Connection, backup: Backup | None, folder: Path) -> None:
    """Remove a SQLite backup whose change was rolled back (on a server the transaction
    took its tables with it; MySQL, where DDL is not transactional, keeps it)."""
    if backup is not None and traits(conn).file_based:
        FileStore(folder).discard(conn, backup)


def of_database(conn: Connection, found: list[Backup]) -> list[Backup]:
    """The backups taken from ``conn``'s database (a SQLite folder may hold others')."""
    url = safe_url(conn.engine)
    return [b for b in found if b.database in ("", url)]


def iter_items(backups: list[Backup]) -> Iterator[tuple[Backup, Item]]:
    """Every item of every backup, newest backup first."""
    for backup in reversed(backups):
        for item in backup.items:
            yield backup, item
