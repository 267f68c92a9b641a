"""Constraint names, never guessed.

Names come from one of two places:

- the models (an explicit name, or one the ``MetaData(naming_convention=...)`` makes): kept in
  the snapshot in the form the database stores, fitted to its limit exactly as ``create_all``
  fits it (SQLAlchemy shortens a convention name with a hash; PostgreSQL then cuts any name
  at 63 *bytes*);
- the database, where the models give none: flask-vertz then adds the constraint unnamed, so
  the database names it as ``create_all`` would have, and whatever refers to it later (a
  drop, a rename) finds its real name in the catalog at apply time by its definition
  (:mod:`vertz_engine.plan.constraint_lookup`).

PostgreSQL's own naming (``makeObjectName``) is computed here for what must be renamed with
its table.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.sql import elements

from vertz_engine.dialects import traits
from vertz_engine.errors import SnapshotError
from vertz_engine.schema.types import ForeignKey, Loose, Unique

PG_NAMEDATALEN = 64  # PostgreSQL names hold NAMEDATALEN - 1 = 63 bytes


def clip_bytes(name: str, limit: int) -> str:
    """``name`` cut to at most ``limit`` UTF-8 bytes without splitting a character (what
    PostgreSQL's ``pg_mbcliplen`` does to a name that is too long)."""
    raw = name.encode()
    if len(raw) <= limit:
        return name
    return raw[:limit].decode(errors="ignore")


def fit(name: Any, dialect: str, what: str) -> str | None:
    """The name the database stores for a model's constraint or index name ``name`` (None:
    the models leave it to the database). A convention-made name that is too long is
    shortened as SQLAlchemy shortens it; an explicit one is refused, as ``create_all`` fails
    on it."""
    if not isinstance(name, str):
        return None
    db = traits(dialect)
    limit = db.max_identifier
    text = str(name)
    if len(text) > limit:
        if not isinstance(name, elements._truncated_label):
            unit = "characters"
            raise SnapshotError(
                f"{what} name {text!r} is {len(text)} {unit} long; {dialect} allows {limit}: "
                "give it a shorter name"
            )
        # sqlalchemy.sql.compiler's _truncate_and_render_maxlen_name
        text = text[: limit - 8] + "_" + hashlib.md5(text.encode()).hexdigest()[-4:]
    if db.identifier_limit_in_bytes:
        text = clip_bytes(text, limit)
    return text


# -- PostgreSQL's own names -------------------------------------------------------------------


def pg_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's ``makeObjectName``: ``name1_name2_label``, the longer of the two names
    shortened until the whole fits in 63 bytes."""
    b1, b2 = name1.encode(), (name2.encode() if name2 is not None else None)
    overhead = (len(label) + 1 if label else 0) + (1 if b2 is not None else 0)
    avail = PG_NAMEDATALEN - 1 - overhead
    n1, n2 = len(b1), len(b2) if b2 is not None else 0
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    out = clip_bytes(name1, n1)
    if name2 is not None:
        out += "_" + clip_bytes(name2, n2)
    if label:
        out += "_" + label
    return out


def pg_columns_addition(columns: list[str]) -> str:
    """PostgreSQL's ``ChooseIndexNameAddition``: the column names joined by ``_``, stopping
    once 63 bytes are reached."""
    out = b""
    for col in columns:
        if out:
            out += b"_"
        out += col.encode()[: PG_NAMEDATALEN - 1]
        if len(out) >= PG_NAMEDATALEN:
            break
    return out.decode(errors="ignore")


def pg_default_name(
    table: str, kind: str, item: Unique | ForeignKey | Loose, check_cols: list[str]
) -> str:
    """The name PostgreSQL gives an unnamed constraint of ``table`` (without the number it
    appends when that name is taken)."""
    if kind == "check":
        col = check_cols[0] if len(check_cols) == 1 else None
        return pg_object_name(table, col, "check")
    label = {"unique": "key", "foreign_key": "fkey"}[kind]
    return pg_object_name(table, pg_columns_addition(item["columns"]), label)


def pg_pkey(table: str) -> str:
    return pg_object_name(table, None, "pkey")


def pg_sequence(table: str, column: str) -> str:
    return pg_object_name(table, column, "seq")
