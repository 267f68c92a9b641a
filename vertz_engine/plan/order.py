"""The order tables are created in: parents before children, and the foreign keys that
cannot be created with their table (pointing forward or around a cycle) added afterwards."""

from __future__ import annotations

from typing import Any

from vertz_engine.dialects import Traits
from vertz_engine.schema.snapshot import Snapshot


def sorted_for_create(names: list[str], tables: dict[str, dict[str, Any]]) -> list[str]:
    """Parents before children (cycles keep declaration order)."""
    deps = {
        n: {fk["referred_table"] for fk in tables[n]["foreign_keys"]} & set(names) - {n}
        for n in names
    }
    out: list[str] = []
    seen: set[str] = set()

    def visit(n: str, stack: tuple[str, ...]) -> None:
        if n in seen or n in stack:
            return
        for d in sorted(deps[n]):
            visit(d, (*stack, n))
        seen.add(n)
        out.append(n)

    for n in sorted(names):
        visit(n, ())
    return out


def deferred_fks(
    names: list[str], tables: dict[str, Any], db: Traits
) -> dict[str, list[dict[str, Any]]]:
    """Foreign keys among ``names`` that cannot be created inline, in creation order: those
    pointing at a table created later (cycles) and those marked ``use_alter``. A database
    that rebuilds tables (SQLite) does not check references when a table is created, and
    cannot add them later: none there."""
    if db.rebuilds_tables:
        return {}
    order = sorted_for_create(names, tables)
    created: set[str] = set()
    out: dict[str, list[dict[str, Any]]] = {}
    for name in order:
        for fk in tables[name]["foreign_keys"]:
            ref = fk["referred_table"]
            if fk.get("use_alter") or (ref in names and ref != name and ref not in created):
                out.setdefault(name, []).append(fk)
        created.add(name)
    return out


def without(snap: Snapshot, deferred: dict[str, list[dict[str, Any]]]) -> Snapshot:
    """``snap`` without the ``deferred`` foreign keys (the tables as first created)."""
    tables = dict(snap["tables"])
    for name, fks in deferred.items():
        tables[name] = {
            **tables[name],
            "foreign_keys": [f for f in tables[name]["foreign_keys"] if f not in fks],
        }
    return {**snap, "tables": tables}
