"""SQL text a plan writes by hand: identifiers quoted as the database's DDL compiler quotes
them (only where needed, unlike :meth:`Traits.quote`), string literals."""

from __future__ import annotations

from vertz_engine.dialects import Traits, dialect_for


def quote(db: Traits, name: str) -> str:
    """``name`` as ``CREATE TABLE`` on ``db`` spells it (quoted where it must be)."""
    return str(dialect_for(db.name).identifier_preparer.quote(name))


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
