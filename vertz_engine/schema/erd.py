"""A Mermaid ER diagram (``erDiagram``) of a ``MetaData``: tables with their columns (type,
PK/FK/UK keys, NOT NULL as a comment) and a relationship per foreign key. Deterministic:
tables and relationships sorted by name, columns in table order.

Also keeps such a diagram up to date inside a Markdown file, between markers, so that a
``docs/schema.md`` (or a README) can hold it beside prose."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from vertz_engine.schema.snapshot import RESERVED_PREFIX

_NAME = re.compile(r"[^A-Za-z0-9_-]")


def _name(text: str) -> str:
    """Mermaid entity and attribute names: letters, digits, ``_`` and ``-``."""
    cleaned = _NAME.sub("_", text)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"t_{cleaned}"


def _type(column: sa.Column[object], dialect: Dialect) -> str:
    try:
        text = column.type.compile(dialect=dialect)
    except Exception:  # noqa: BLE001 - a type this dialect cannot render: its class name
        text = type(column.type).__name__
    # a Mermaid attribute type starts with a letter; digits, _, -, () and [] may follow
    text = re.sub(r"\s*,\s*", "_", text.strip())
    text = re.sub(r"[^A-Za-z0-9_()\[\]-]", "_", text)
    return text if text[:1].isalpha() else f"T{text}"


def _keys(column: sa.Column[object], table: sa.Table) -> list[str]:
    keys = []
    if column.primary_key:
        keys.append("PK")
    if column.foreign_keys:
        keys.append("FK")
    unique = column.unique or any(
        isinstance(c, sa.UniqueConstraint) and [x.name for x in c.columns] == [column.name]
        for c in table.constraints
    )
    if unique and not column.primary_key:
        keys.append("UK")
    return keys


def _relationship(fk: sa.ForeignKeyConstraint) -> tuple[tuple[str, str], str]:
    child = fk.table
    parent = fk.referred_table
    optional = any(c.nullable for c in fk.columns)
    one_to_one = any(
        isinstance(c, sa.UniqueConstraint) and set(c.columns.keys()) == set(fk.columns.keys())
        for c in child.constraints
    ) or all(c.primary_key for c in fk.columns)
    left = "|o" if optional else "||"
    right = "o|" if one_to_one else "o{"
    label = ", ".join(c.name for c in fk.columns)
    line = f'    {_name(parent.name)} {left}--{right} {_name(child.name)} : "{label}"'
    return (parent.name, child.name), line


def diagram(metadata: sa.MetaData, dialect: Dialect) -> str:
    """The Mermaid ``erDiagram`` of ``metadata``'s tables (flask-vertz's own left out)."""
    tables = sorted(
        (t for t in metadata.tables.values() if not t.name.startswith(RESERVED_PREFIX)),
        key=lambda t: t.fullname,
    )
    lines = ["erDiagram"]
    relationships = []
    for table in tables:
        lines.append(f"    {_name(table.name)} {{")
        for column in table.columns:
            keys = ",".join(_keys(column, table))
            parts = [_type(column, dialect), _name(column.name)]
            if keys:
                parts.append(keys)
            if not column.nullable and not column.primary_key:
                parts.append('"not null"')
            lines.append("        " + " ".join(parts))
        lines.append("    }")
        for c in table.constraints:
            if isinstance(c, sa.ForeignKeyConstraint):
                try:
                    relationships.append(_relationship(c))
                except sa.exc.NoReferencedTableError:  # a table outside these models
                    continue
    lines += [line for _key, line in sorted(relationships)]
    return "\n".join(lines) + "\n"


def begin_marker(name: str) -> str:
    return f"<!-- vertz-erd:begin {name} -->"


def end_marker(name: str) -> str:
    return f"<!-- vertz-erd:end {name} -->"


def block(name: str, text: str) -> str:
    return f"{begin_marker(name)}\n```mermaid\n{text}```\n{end_marker(name)}"


def place(document: str, name: str, text: str) -> str:
    """``document`` with the diagram ``name`` between its markers (added at the end when
    the markers are not there yet)."""
    new = block(name, text)
    begin, end = begin_marker(name), end_marker(name)
    start = document.find(begin)
    stop = document.find(end, start + 1) if start >= 0 else -1
    if start >= 0 and stop >= 0:
        return document[:start] + new + document[stop + len(end) :]
    sep = (
        ""
        if not document or document.endswith("\n\n")
        else ("\n" if document.endswith("\n") else "\n\n")
    )
    return document + sep + new + "\n"
