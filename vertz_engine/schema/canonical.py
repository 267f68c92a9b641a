"""Canonical forms for comparing schemas, so that equivalent spellings never show up as
changes (``Boolean`` vs ``TINYINT(1)`` on MySQL, ``now()`` vs ``CURRENT_TIMESTAMP``,
``'0'`` vs ``0`` as the default of a number) while real changes always do (``String(50)``
-> ``String(100)``, a Numeric's precision, an enum's values)."""

from __future__ import annotations

import re

from vertz_engine.dialects import traits
from vertz_engine.schema.types import Column, Index, Loose, ServerDefault

_TYPE_ALIASES: dict[str, str] = {
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "INT8": "BIGINT",
    "INT2": "SMALLINT",
    "BOOL": "BOOLEAN",
    "DECIMAL": "NUMERIC",
    "CHARACTER VARYING": "VARCHAR",
    "CHARACTER": "CHAR",
    "DOUBLE PRECISION": "DOUBLE",
    "FLOAT8": "DOUBLE",
    "FLOAT4": "REAL",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "TIME WITHOUT TIME ZONE": "TIME",
    "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
}
_NOW = {"now()", "current_timestamp", "current_timestamp()", "transaction_timestamp()"}
_NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?$")
_NUMBER_TYPES = ("INT", "NUMERIC", "DECIMAL", "FLOAT", "REAL", "DOUBLE", "BOOL", "TINYINT")


def sql_type(text: str, dialect: str | None) -> str:
    """``text`` (compiled DDL of a type) in one spelling per meaning (``dialect`` None: only
    the spellings every database shares)."""
    t = re.sub(r"\s+", " ", text.strip().upper())
    t = re.sub(r"\s*\(\s*", "(", re.sub(r"\s*\)", ")", re.sub(r"\s*,\s*", ",", t)))
    db = traits(dialect) if dialect is not None else None
    for table in (_TYPE_ALIASES, db.type_aliases if db else {}):
        base, paren, rest = t.partition("(")
        if t in table:
            t = table[t]
        elif base in table:
            t = table[base] + paren + rest
    if db and db.mysql:
        t = (
            re.sub(r"^(TINYINT|SMALLINT|MEDIUMINT|INTEGER|BIGINT)\(\d+\)$", r"\1", t)
            if t != "TINYINT(1)"
            else t
        )
    return t


def server_default(data: ServerDefault | Loose | None, column_sql_type: str) -> str | None:
    """A column's server default as one comparable string."""
    if not data:
        return None
    if "literal" in data:
        text = "'" + str(data["literal"]).replace("'", "''") + "'"
    else:
        text = str(data.get("sql", "")).strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    text = re.sub(r"::[A-Za-z_ ]+(\[\])?$", "", text)  # PostgreSQL casts: 'x'::character varying
    if text.lower() in _NOW:
        return "CURRENT_TIMESTAMP"
    unquoted = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text
    upper = column_sql_type.upper()
    if any(k in upper for k in _NUMBER_TYPES):
        if unquoted.lower() in ("true", "false"):
            return "1" if unquoted.lower() == "true" else "0"
        if _NUMERIC.match(unquoted):
            return str(float(unquoted)) if "." in unquoted else str(int(unquoted))
    return text


def enum_values(col: Column | Loose) -> list[str] | None:
    spec = col["type"]
    if spec.get("class", "").endswith(".Enum"):
        return list((spec.get("args") or {}).get("enums", []))
    return None


def index(item: Index | Loose, table: str) -> Index | Loose:
    """An index entry in one spelling: a partial index's WHERE without the table name before
    its columns (snapshots made before 2026-11 wrote ``t.score > 0``, CREATE INDEX writes
    ``score > 0``; the database reads both the same)."""
    where = item.get("where")
    if not where:
        return item
    for prefix in (f'"{table}".', f"`{table}`.", f"{table}."):
        where = where.replace(prefix, "")
    return {**item, "where": where}


def native_enum(col: Column | Loose) -> bool:
    """Whether a column is an enum of its own database type (on PostgreSQL: a named enum
    that is not ``native_enum=False``)."""
    args = col["type"].get("args") or {}
    return enum_values(col) is not None and args.get("native_enum", True) is not False
