"""CHECK constraints of the live database compared with the models' (Alembic's comparator
does not compare them). Unnamed checks are matched by definition, never by the name the
database gave them: by expression, else by the columns they name."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.dialects import Family, traits
from vertz_engine.plan.constraint_lookup import check_columns, normalized_check

# where reflection misses checks, the catalog query that reads them (MariaDB's column-level
# checks), per family
_CHECKS_SQL: dict[Family, str] = {
    "mysql": "SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS "
    "NATURAL JOIN information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = %s AND CONSTRAINT_TYPE = 'CHECK'",
}


def _live(conn: Connection, table: sa.Table) -> list[tuple[str | None, str]]:
    sql = _CHECKS_SQL.get(traits(conn).family)
    if sql is not None:
        try:
            rows = conn.exec_driver_sql(sql, (table.name,)).all()
        except sa.exc.DBAPIError:  # a server without CHECK constraints (MySQL < 8.0.16)
            return []
        return [(str(r[0]), str(r[1])) for r in rows]
    try:
        found = sa.inspect(conn).get_check_constraints(table.name, schema=table.schema)
    except NotImplementedError:
        return []
    return [(c.get("name"), str(c["sqltext"])) for c in found]


def _text(ck: sa.CheckConstraint, conn: Connection) -> str:
    return str(
        ck.sqltext.compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True, "include_table": False}
        )
    )


def _matches(a: str, b: str) -> bool:
    return normalized_check(a).removeprefix("check") == normalized_check(b).removeprefix("check")


def check_drift(conn: Connection, metadata: sa.MetaData) -> list[str]:
    """One line per CHECK the database lacks or has in excess, for the models' tables that
    exist (a missing table is reported elsewhere)."""
    out: list[str] = []
    insp = sa.inspect(conn)
    for table in metadata.sorted_tables:
        if not insp.has_table(table.name, schema=table.schema):
            continue
        columns = [c.name for c in table.columns]
        # MariaDB adds CHECK (json_valid(col)) to its JSON columns by itself
        auto = {f"json_valid{c.lower()}" for c in columns}
        live = [lv for lv in _live(conn, table) if normalized_check(lv[1]) not in auto]
        wanted: list[tuple[str | None, str, bool]] = [
            (
                ck.name if isinstance(ck.name, str) else None,
                _text(ck, conn),
                bool(getattr(ck, "_type_bound", False)),
            )
            for ck in [*table.constraints, *(k for c in table.columns for k in c.constraints)]
            if isinstance(ck, sa.CheckConstraint)
        ]
        missing: list[tuple[str | None, str, bool]] = []
        for item in wanted:
            name, text, _bound = item
            hit = next((lv for lv in live if name is not None and lv[0] == name), None)
            hit = hit or next((lv for lv in live if _matches(lv[1], text)), None)
            if hit is not None:
                live.remove(hit)
            else:
                missing.append(item)
        # what the expression cannot match (a catalog rewrites it): the columns it names
        for item in list(missing):
            cols = check_columns(item[1], columns)
            hit = next((lv for lv in live if check_columns(lv[1], columns) == cols), None)
            if hit is not None:
                live.remove(hit)
                missing.remove(item)
        for name, text, bound in missing:
            if not bound:
                label = name or f"({' '.join(text.split())})"
                out.append(f"check {label} on {table.name} is missing from the database")
        for name, text in live:
            label = f"{name} ({' '.join(text.split())})"
            out.append(f"check {label} on {table.name} is in the database but not expected")
    return out
