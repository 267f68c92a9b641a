"""Changes to the schema features :mod:`features` records, as plan changes: a computed
column whose expression changes is dropped and added again, an identity column is altered
in place (PostgreSQL), table options are altered (MySQL) or the table rebuilt (SQLite)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from vertz_engine.dialects import MYSQL, Traits, dialect_for
from vertz_engine.errors import UnsupportedModel
from vertz_engine.plan.model import DESTRUCTIVE, SAFE, Change
from vertz_engine.plan.sqltext import literal, quote
from vertz_engine.schema import snapshot as snap_mod


def recreated(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a column must be dropped and added again: its computed expression changes
    (databases cannot alter one, nor turn a plain column into a computed one or back)."""
    return old.get("computed") != new.get("computed")


def recreate(table: str, old: dict[str, Any], new: dict[str, Any], db: Traits) -> list[Change]:
    """Drop column ``old`` and add ``new`` under the same name."""
    name = new["name"]
    if old.get("computed") and new.get("computed"):
        level, reason = SAFE, "computed expression changes; values are computed again"
    elif old.get("computed"):
        level, reason = DESTRUCTIVE, "no longer computed; it starts empty"
    else:
        level, reason = DESTRUCTIVE, "now computed; its stored values are replaced"
    drop = ops.DropColumnOp.from_column_and_tablename(
        None, table, snap_mod.column_from(old, db.name)
    )
    add = ops.AddColumnOp(table, snap_mod.column_from(new, db.name))
    return [
        Change(drop, "drop_column", table, name, level, reason),
        Change(add, "add_column", table, name, level, reason),
    ]


# -- identity columns (PostgreSQL) ------------------------------------------------------------


def identity_changes(
    table: str, old: dict[str, Any], new: dict[str, Any], db: Traits
) -> tuple[list[Change], list[Change]]:
    """(changes that take an identity away, changes that give one) for one column."""
    before, after = old.get("identity"), new.get("identity")
    if before == after or not db.alters_identity:
        return [], []
    t, c = quote(db, table), quote(db, new["name"])
    off: list[Change] = []
    on: list[Change] = []
    if before is not None:
        sql = f"ALTER TABLE {t} ALTER COLUMN {c} DROP IDENTITY IF EXISTS"
        off.append(
            Change(
                ops.ExecuteSQLOp(sql),
                "alter_column",
                table,
                new["name"],
                SAFE,
                "no longer an identity column",
            )
        )
    if after is not None:
        ident = sa.Identity(**after)
        clause = str(
            sa.schema.CreateColumn(sa.Column("x", sa.Integer, ident)).compile(
                dialect=dialect_for(db.name)
            )
        )
        generated = clause[clause.index("GENERATED") :]
        restart = (
            f"SELECT setval(pg_get_serial_sequence({literal(t)}, {literal(new['name'])}), m, false) "
            f"FROM (SELECT MAX({c}) + 1 AS m FROM {t}) AS s WHERE m IS NOT NULL"
        )
        on.append(
            Change(
                ops.ExecuteSQLOp(f"ALTER TABLE {t} ALTER COLUMN {c} ADD {generated}"),
                "alter_column",
                table,
                new["name"],
                SAFE,
                "now an identity column",
                extra=[ops.ExecuteSQLOp(restart)],
            )
        )
    return off, on


# -- table options ----------------------------------------------------------------------------


def table_option_change(
    table: str, old: dict[str, Any], new: dict[str, Any], db: Traits
) -> Change | None:
    """The change of a table's dialect options, or None when they are the same."""
    before, after = old.get("options") or {}, new.get("options") or {}
    if before == after:
        return None
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    reason = "options " + ", ".join(f"{k}={after.get(k)!r}" for k in changed)
    if db.rebuilds_tables:  # only a rebuild can change them; render.py rebuilds for this
        return Change(ops.ExecuteSQLOp(""), "table_options", table, level=SAFE, reason=reason)
    if db.alters_table_options:
        return _mysql_options(table, before, after, reason)
    raise UnsupportedModel(
        f"table {table}: changing its {', '.join(changed)} needs the table to be created "
        "again, which flask-vertz does not generate; keep the option as it was, or remove "
        "the table in one migration and add it back with the new option in the next"
    )


_MYSQL_DEFAULTS = {"engine": "InnoDB"}
_CHARSETS = ("charset", "default_charset", "character_set", "default_character_set")


def _mysql_options(
    table: str, before: dict[str, Any], after: dict[str, Any], reason: str
) -> Change | None:
    """``ALTER TABLE t ENGINE=...`` as ``CREATE TABLE`` spells the options; a charset or
    collation change converts the table's text columns (as ``create_all`` would have made
    them); an option taken away goes back to the server's default."""
    bare = {k.split("_", 1)[1]: v for k, v in after.items()}
    changed = {
        k.split("_", 1)[1] for k in set(before) | set(after) if before.get(k) != after.get(k)
    }
    q = quote(MYSQL, table)
    statements: list[str] = []
    level = SAFE
    if changed & {*_CHARSETS, "collate"}:
        charset = next((str(bare[k]) for k in _CHARSETS if k in bare), None)
        collate = bare.get("collate")
        if charset is None and collate is not None:
            charset = str(collate).split("_", 1)[0]  # MySQL collations are named <charset>_...
        convert = f"ALTER TABLE {q} CONVERT TO CHARACTER SET {charset or 'DEFAULT'}"
        statements.append(convert + (f" COLLATE {collate}" if collate else ""))
        level = DESTRUCTIVE
        reason += "; text columns are converted, characters the charset cannot hold are lost"
    wanted: dict[str, Any] = {
        f"mysql_{k}": bare.get(k, _MYSQL_DEFAULTS.get(k))
        for k in sorted(changed - {*_CHARSETS, "collate"})
        if k in bare or k in _MYSQL_DEFAULTS
    }
    if wanted:
        dialect = dialect_for(MYSQL.name)
        stub = sa.Table(table, sa.MetaData(), sa.Column("x", sa.Integer), **wanted)
        opts = dialect.ddl_compiler(dialect, sa.schema.CreateTable(stub)).post_create_table(stub)
        statements.append(f"ALTER TABLE {q} {opts.strip()}")
    if not statements:  # an option the server has no default for: the table keeps it
        return None
    first, *rest = (ops.ExecuteSQLOp(sql) for sql in statements)
    return Change(first, "table_options", table, level=level, reason=reason, extra=list(rest))
