"""A Mermaid ER diagram (``erDiagram``) of a ``MetaData``: tables with their columns (type,
PK/FK/UK keys, NOT NULL as a comment) and a relationship per foreign key. Deterministic:
tables and relationships sorted by name, columns in table order.

Also keeps such a diagram up to date inside a Markdown file, between markers, so that a
``docs/schema.md`` (or a README) can hold it beside prose."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Marks:
    """What a pending change does to the diagram: ``tables`` and ``columns`` (by
    ``(table, column)``) map to ``added``, ``dropped``, ``renamed`` or ``changed``;
    ``old`` holds the schema before the change (dropped tables and columns are drawn
    from it)."""

    tables: Mapping[str, str]
    columns: Mapping[tuple[str, str], str]
    old: sa.MetaData


#: Mermaid ``classDef`` styles for the marks (``:::added`` on an entity)
MARK_STYLES = {
    "added": "fill:#e6ffec,stroke:#1a7f37,stroke-width:2px",
    "dropped": "fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5",
    "renamed": "fill:#fff8c5,stroke:#9a6700,stroke-width:2px",
    "changed": "fill:#ddf4ff,stroke:#0969da,stroke-width:2px",
}


def _attribute(column: sa.Column[object], table: sa.Table, dialect: Dialect, mark: str) -> str:
    keys = ",".join(_keys(column, table))
    parts = [_type(column, dialect), _name(column.name)]
    if keys:
        parts.append(keys)
    notes = [mark] if mark else []
    if not column.nullable and not column.primary_key:
        notes.append("not null")
    if notes:
        parts.append(f'"{", ".join(notes)}"')
    return "        " + " ".join(parts)


def _entity(table: sa.Table, dialect: Dialect, marks: Marks | None) -> list[str]:
    mark = marks.tables.get(table.name, "") if marks else ""
    lines = [f"    {_name(table.name)}{':::' + mark if mark else ''} {{"]
    columns = list(table.columns)
    if marks is not None and mark != "dropped" and table.name in marks.old.tables:
        old = marks.old.tables[table.name]
        columns += [
            c
            for c in old.columns
            if marks.columns.get((table.name, c.name)) == "dropped" and c.name not in table.c
        ]
    for column in columns:
        key = (table.name, column.name)
        col_mark = marks.columns.get(key, "") if marks and mark != "added" else ""
        lines.append(_attribute(column, column.table, dialect, col_mark))
    lines.append("    }")
    return lines


def _foreign_keys(table: sa.Table, marks: Marks | None) -> list[sa.ForeignKeyConstraint]:
    """The table's foreign keys, and those of its dropped columns (from ``marks.old``)."""
    fks = [c for c in table.constraints if isinstance(c, sa.ForeignKeyConstraint)]
    old = marks.old.tables.get(table.name) if marks is not None else None
    if marks is not None and old is not None and old is not table:
        fks += [
            c
            for c in old.constraints
            if isinstance(c, sa.ForeignKeyConstraint)
            and any(marks.columns.get((table.name, col.name)) == "dropped" for col in c.columns)
        ]
    return fks


def diagram(metadata: sa.MetaData, dialect: Dialect, marks: Marks | None = None) -> str:
    """The Mermaid ``erDiagram`` of ``metadata``'s tables (flask-vertz's own left out).
    With ``marks``: what a pending change adds, drops, renames or changes is marked
    (entities with ``:::CLASS`` and a ``classDef`` each, attributes with a comment), and
    dropped tables and columns are drawn from ``marks.old``."""
    visible = [t for t in metadata.tables.values() if not t.name.startswith(RESERVED_PREFIX)]
    if marks is not None:
        visible += [
            t
            for t in marks.old.tables.values()
            if marks.tables.get(t.name) == "dropped" and t.name not in metadata.tables
        ]
    lines = ["erDiagram"]
    relationships = []
    for table in sorted(visible, key=lambda t: t.fullname):
        lines += _entity(table, dialect, marks)
        for fk in _foreign_keys(table, marks):
            try:
                relationships.append(_relationship(fk))
            except sa.exc.NoReferencedTableError:  # a table outside these models
                continue
    lines += [line for _key, line in sorted(relationships)]
    if marks is not None:
        used = {*marks.tables.values()}
        lines += [f"    classDef {k} {v}" for k, v in MARK_STYLES.items() if k in used]
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
