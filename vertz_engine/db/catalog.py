"""A fingerprint of the live database's catalog (tables and their options, columns, types,
defaults, computed and identity columns, constraints, indexes, enum types), read with one
to four queries and no reflection.

flask-vertz stores it beside the schema fingerprint whenever it changes the schema, so
``status`` can tell in a few milliseconds that nothing changed behind its back, and runs
Alembic's comparator (reflection of every table) only when something did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy.engine import Connection

from vertz_engine.dialects import Family, known, traits
from vertz_engine.schema.snapshot import RESERVED_PREFIX

_GLOBAL = "/* all */ "  # a query whose rows are not per table: never filtered by table

_QUERIES: dict[Family, list[str]] = {  # per family: MariaDB speaks MySQL's catalog
    "sqlite": [
        "SELECT tbl_name, type, name, sql FROM sqlite_master "
        f"WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT LIKE '{RESERVED_PREFIX}%' "
        "ORDER BY type, name"
    ],
    "postgresql": [
        "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), "
        "a.attnotnull, pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum), "
        "a.attidentity, a.attgenerated "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
        f"AND NOT a.attisdropped AND c.relname NOT LIKE '{RESERVED_PREFIX}%' ORDER BY 1, 2",
        "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = current_schema() AND c.relname NOT LIKE '{RESERVED_PREFIX}%' "
        "ORDER BY 1, 2",
        "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
        f"AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '{RESERVED_PREFIX}%' ORDER BY 1",
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        f"AND tablename NOT LIKE '{RESERVED_PREFIX}%' ORDER BY 1, 2",
        _GLOBAL + "SELECT t.typname, e.enumsortorder, e.enumlabel FROM pg_type t "
        "JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema() ORDER BY 1, 2",
    ],
    "mysql": [
        "SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, "
        "COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE '{RESERVED_PREFIX}%' ORDER BY 1, 2",
        "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE, SUB_PART, INDEX_TYPE "
        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
        f"AND TABLE_NAME NOT LIKE '{RESERVED_PREFIX}%' ORDER BY 1, 2, 3",
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
        "k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE "
        "FROM information_schema.KEY_COLUMN_USAGE k LEFT JOIN "
        "information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.TABLE_SCHEMA "
        "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
        f"WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME NOT LIKE '{RESERVED_PREFIX}%' "
        "ORDER BY 1, 2, k.ORDINAL_POSITION",
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS "
        "NATURAL JOIN information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
        f"AND CONSTRAINT_TYPE = 'CHECK' AND TABLE_NAME NOT LIKE '{RESERVED_PREFIX}%' ORDER BY 1, 2",
        "SELECT TABLE_NAME, TABLE_COMMENT, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE '{RESERVED_PREFIX}%' ORDER BY 1",
    ],
}


def fingerprint(conn: Connection, tables: Iterable[str] | None = None) -> str | None:
    """The catalog fingerprint of ``tables`` (default: all but flask-vertz's own), or None
    for a database this does not know how to read. Every query's first column is the table,
    so tables outside the models (another tool's, say) do not count."""
    queries = _QUERIES.get(traits(conn).family) if known(conn.dialect.name) else None
    if not queries:
        return None
    wanted = set(tables) if tables is not None else None
    digest = hashlib.sha256()
    for sql in queries:
        per_table = wanted is not None and not sql.startswith(_GLOBAL)
        for row in conn.exec_driver_sql(sql):
            if per_table and row[0] not in wanted:  # type: ignore[operator]
                continue
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")
        digest.update(b"\x00")
    return "sha256:" + digest.hexdigest()
