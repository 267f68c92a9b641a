"""The CHECK a type makes for itself (a non-native enum's values, a non-native boolean's
0/1) goes when the column's type changes; the new type's check is added with it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from vertz_engine.dialects import Traits, dialect_for
from vertz_engine.plan import constraint_lookup
from vertz_engine.plan.model import Change
from vertz_engine.schema.constraint_names import fit


def drops(
    table: str, column: str, sa_table: sa.Table, data: dict[str, Any], db: Traits
) -> list[Change]:
    """Changes dropping the checks ``column``'s old type made on ``db`` (by name where the
    type is named, else found by its expression at apply time); none where the table is
    rebuilt (SQLite)."""
    if db.rebuilds_tables:
        return []
    d = dialect_for(db.name)
    out: list[Change] = []
    for ck in sa_table.constraints:
        if not isinstance(ck, sa.CheckConstraint) or not getattr(ck, "_type_bound", False):
            continue
        rule = getattr(ck, "_create_rule", None)
        if rule is not None and not rule(SimpleNamespace(dialect=d)):
            continue  # a native type: no check on this database
        text = str(
            ck.sqltext.compile(
                dialect=d, compile_kwargs={"literal_binds": True, "include_table": False}
            )
        )
        if constraint_lookup.check_columns(text, [c.name for c in sa_table.columns]) != [column]:
            continue
        name = fit(ck.name, db.name, "check")
        item = {"name": name, "sqltext": text}
        if name and db.alter_type_drops_named_check:
            continue
        if name:
            out.append(
                Change(ops.DropConstraintOp(name, table, type_="check"), "drop_check", table, name)
            )
        else:
            op, *extra = constraint_lookup.drop(db, table, "check", item, data)
            out.append(Change(op, "drop_check", table, f"({text})", extra=extra))
    return out
