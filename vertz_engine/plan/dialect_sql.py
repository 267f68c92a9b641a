"""What each database does on its own, which a plan must know to match ``create_all()``:
the names it gives unnamed constraints, PostgreSQL's enum types and serial sequences, the
index MySQL creates behind a foreign key."""

from __future__ import annotations

from typing import Any

from alembic.operations import ops

from vertz_engine.dialects import MYSQL, POSTGRESQL, Traits, traits
from vertz_engine.files.file_format import OUTSIDE_TRANSACTION_MARKER
from vertz_engine.plan import constraint_lookup
from vertz_engine.plan.model import CONSTRAINT_KEY, ConstraintKind
from vertz_engine.plan.sqltext import literal as _lit
from vertz_engine.plan.sqltext import quote
from vertz_engine.schema import constraint_names
from vertz_engine.schema.snapshot import Snapshot


def _q(name: str) -> str:
    """``name`` in PostgreSQL's SQL (the SQL below is PostgreSQL's, unless it says MySQL)."""
    return quote(POSTGRESQL, name)


def named(table: str, kind: ConstraintKind, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with a name to build a SQLAlchemy constraint from. Only where the name is
    not used: a constraint the models leave unnamed is dropped by a catalog lookup on
    PostgreSQL and MySQL (:mod:`.constraint_lookup`), and SQLite rebuilds the table."""
    return {**item, "name": item.get("name") or f"{table}_{kind}"}


def label(item: dict[str, Any]) -> str:
    """How a constraint is shown: its name, else its columns (a check: its expression)."""
    if item.get("name"):
        return str(item["name"])
    if "sqltext" in item:
        return "(" + " ".join(str(item["sqltext"]).split()) + ")"
    return ",".join(item.get("columns", []))


def _sql(text: str) -> ops.ExecuteSQLOp:
    return ops.ExecuteSQLOp(text)


# -- PostgreSQL enum types -------------------------------------------------------------------


def enum_types(snap: Snapshot) -> dict[str, list[str]]:
    """Native enum types (PostgreSQL's) used by a snapshot's columns: name -> values."""
    if not traits(snap["dialect"]).native_enums:
        return {}
    out: dict[str, list[str]] = {}
    for table in snap["tables"].values():
        for col in table["columns"]:
            spec = col["type"]
            args = spec.get("args") or {}
            if (
                spec["class"].endswith(".Enum")
                and args.get("name")
                and args.get("native_enum", True)
            ):
                out[args["name"]] = list(args.get("enums", []))
    return out


def enum_users(snap: Snapshot, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(table, column) pairs whose type is enum ``name``."""
    out = []
    for tname, table in snap["tables"].items():
        for col in table["columns"]:
            args = col["type"].get("args") or {}
            if col["type"]["class"].endswith(".Enum") and args.get("name") == name:
                out.append((tname, col))
    return out


def create_enum(name: str, values: list[str]) -> ops.ExecuteSQLOp:
    labels = ", ".join(_lit(v) for v in values)
    return _sql(f"CREATE TYPE {_q(name)} AS ENUM ({labels})")


def drop_enum(name: str) -> ops.ExecuteSQLOp:
    return _sql(f"DROP TYPE {_q(name)}")


def alter_enum(
    name: str,
    old: list[str],
    new: list[str],
    users: list[tuple[str, dict[str, Any], dict[str, Any] | None]],
) -> list[ops.MigrateOperation]:
    """Turn enum ``name`` from ``old`` values to ``new``: ``ADD VALUE`` where only values are
    added in place, otherwise a new type swapped in under the columns that use it."""
    q = _q(name)
    if _is_subsequence(old, new):
        out: list[ops.MigrateOperation] = []
        present = list(old)
        for i, value in enumerate(new):
            if value in present:
                continue
            following = next((v for v in new[i + 1 :] if v in present), None)
            where = f" BEFORE {_lit(following)}" if following is not None else ""
            out.append(
                _sql(
                    f"{OUTSIDE_TRANSACTION_MARKER}\nALTER TYPE {q} ADD VALUE IF NOT EXISTS {_lit(value)}{where}"
                )
            )
            present.insert(present.index(following) if following else len(present), value)
        return out
    tmp = _q(f"{name}_old"[: POSTGRESQL.max_identifier])
    swap: list[ops.MigrateOperation] = [
        _sql(f"ALTER TYPE {q} RENAME TO {tmp}"),
        create_enum(name, new),
    ]
    for table, col, new_col in users:
        t, c = _q(table), _q(col["name"])
        if col.get("server_default"):
            swap.append(_sql(f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"))
        swap.append(_sql(f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {q} USING {c}::text::{q}"))
        default = col.get("server_default")
        # put back a default that stays; one that changes is set by the column's own change
        if default and new_col is not None and new_col.get("server_default") == default:
            value = _lit(default["literal"]) if "literal" in default else default["sql"]
            swap.append(_sql(f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {value}"))
    swap.append(_sql(f"DROP TYPE {tmp}"))
    return swap


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(v in it for v in small)


# -- PostgreSQL serial sequences and default names on table rename ---------------------------


def _seq(table: str, column: str) -> str:
    return constraint_names.pg_sequence(table, column)


_RENAMED_KINDS: tuple[ConstraintKind, ...] = ("unique", "foreign_key", "check")


def pg_rename_extras(old: str, new: str, data: dict[str, Any]) -> list[ops.MigrateOperation]:
    """After ``ALTER TABLE old RENAME TO new``: rename the serial sequences and the
    constraints PostgreSQL named after the table, as ``create_all`` would have named them."""
    out: list[ops.MigrateOperation] = []
    for col in data["columns"]:
        if col.get("autoincrement"):
            before, after = _seq(old, col["name"]), _seq(new, col["name"])
            out.append(_sql(f"ALTER SEQUENCE IF EXISTS {_q(before)} RENAME TO {_q(after)}"))
    if not data["primary_key"].get("name") and data["primary_key"]["columns"]:
        before, after = constraint_names.pg_pkey(old), constraint_names.pg_pkey(new)
        out.append(_sql(f"ALTER INDEX IF EXISTS {_q(before)} RENAME TO {_q(after)}"))
    for kind in _RENAMED_KINDS:
        for item in data.get(CONSTRAINT_KEY[kind], []):
            if not item.get("name"):
                out.append(constraint_lookup.pg_rename_for_table(old, new, kind, item, data))
    return out


def pg_autoincrement(table: str, column: str, on: bool) -> list[ops.MigrateOperation]:
    """Give a column a serial sequence (``on``) or take it away."""
    t, c = _q(table), _q(column)
    seq = _q(_seq(table, column))
    if not on:
        return [
            _sql(f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"),
            _sql(f"DROP SEQUENCE IF EXISTS {seq}"),
        ]
    return [
        _sql(f"CREATE SEQUENCE {seq} OWNED BY {t}.{c}"),
        _sql(
            f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT nextval({_lit(_seq(table, column))}::regclass)"
        ),
        _sql(
            f"SELECT setval({_lit(_seq(table, column))}, COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)"
        ),
    ]


# -- MySQL: the index behind a foreign key ---------------------------------------------------


def mysql_fk_index(table: str, data: dict[str, Any], fk: dict[str, Any]) -> ops.ExecuteSQLOp | None:
    """MySQL creates an index for a foreign key that no other index starts with, and keeps
    it when the key is dropped; ``create_all`` of the new models would not have it."""
    cols = fk["columns"]
    covered = [data["primary_key"]["columns"]]
    covered += [i["columns"] for i in data.get("indexes", [])]
    covered += [u["columns"] for u in data.get("unique_constraints", [])]
    covered += [f["columns"] for f in data.get("foreign_keys", []) if f is not fk and f != fk]
    if any(c[: len(cols)] == cols for c in covered):
        return None
    name = fk.get("name") or cols[0]
    return _sql(f"DROP INDEX {quote(MYSQL, name)} ON {quote(MYSQL, table)}")


# -- placeholders for NOT NULL columns that come back in a rollback --------------------------

_PLACEHOLDERS = (
    (("Integer", "BigInteger", "SmallInteger", "Numeric", "Float", "Double", "DECIMAL"), "0"),
    (("Boolean",), "0"),
    (("DateTime", "TIMESTAMP"), "1970-01-01 00:00:00"),
    (("Date",), "1970-01-01"),
    (("Time",), "00:00:00"),
    (("JSON", "JSONB"), "{}"),
)


def placeholder(column: dict[str, Any], db: Traits) -> str:
    """A value every row can take for ``column`` (a literal server default)."""
    cls = column["type"]["class"].rsplit(".", 1)[-1]
    args = column["type"].get("args") or {}
    if cls == "Enum" and args.get("enums"):
        return str(args["enums"][0])
    if cls == "Uuid":
        return "00000000-0000-0000-0000-000000000000" if db.native_uuid else "0" * 32
    for names, value in _PLACEHOLDERS:
        if cls in names:
            if value == "0" and cls == "Boolean" and db.native_boolean:
                return "false"
            return value
    return ""
