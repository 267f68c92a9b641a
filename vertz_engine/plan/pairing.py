"""Which dropped and added tables (or columns) are one rename: pairs of the same shape, or
named by an explicit decision, judged by the questioner (:mod:`.renames`). Every decision
is recorded on the diff's context, the ones taken as renames and the ones declined."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vertz_engine.plan.context import DiffContext, TableDiff
from vertz_engine.plan.renames import RenameCandidate, candidate, decide, pairs
from vertz_engine.schema import canonical


def shape(col: dict[str, Any]) -> tuple[Any, ...]:
    """What a column must keep to be taken for a rename: type, nullability, primary key."""
    return (
        canonical.sql_type(col["sql_type"], None),
        col["nullable"],
        bool(col.get("primary_key")),
    )


def table_shape(table: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((c["name"], *shape(c)) for c in table["columns"])


def _renames(
    ctx: DiffContext,
    dropped: list[str],
    added: list[str],
    same_shape: Callable[[str, str], bool],
    make: Callable[[str, str], RenameCandidate],
) -> dict[str, str]:
    candidates = pairs(dropped, added, same_shape, make, ctx.explicit)
    return decide(candidates, ctx.explicit, ctx.questioner, ctx.decisions)


def rename_tables(ctx: DiffContext) -> None:
    """Sets the renamed, dropped and added tables of ``ctx``."""
    old, new = ctx.old_tables, ctx.new_tables
    dropped = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    ctx.renamed_tables = _renames(
        ctx,
        dropped,
        added,
        lambda o, n: table_shape(old[o]) == table_shape(new[n]),
        lambda o, n: candidate("", o, n, column=False),
    )
    ctx.dropped = [t for t in dropped if t not in ctx.renamed_tables]
    ctx.added = [t for t in added if t not in ctx.renamed_tables.values()]


def rename_columns(t: TableDiff) -> None:
    """Sets the renamed, dropped and added columns of ``t``."""
    old, new = t.old_cols, t.new_cols
    dropped = [c for c in old if c not in new]
    added = [c for c in new if c not in old]
    t.renamed = _renames(
        t.ctx,
        dropped,
        added,
        lambda o, n: shape(old[o]) == shape(new[n]),
        lambda o, n: candidate(t.name, o, n),
    )
    t.dropped = [c for c in dropped if c not in t.renamed]
    t.added = [c for c in added if c not in t.renamed.values()]
