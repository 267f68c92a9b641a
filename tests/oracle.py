"""The schema oracle: a database's schema as reflection sees it, in a comparable form."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def _norm_default(value: Any) -> Any:
    if value is None:
        return None
    text = str(value).strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return re.sub(r"::[a-z ]+$", "", text).strip("'")


AUTO = "(named by the database)"


def _auto(name: Any, dialect: str, table: str, columns: list[str], kind: str) -> str:
    """A constraint or index name the database made up (for a constraint the models leave
    unnamed) reads as :data:`AUTO`: ``create_all`` and a migration may number them
    differently (MariaDB's ``t_ibfk_2``, ``a_2``, ``CONSTRAINT_3``; PostgreSQL's ``t_a_key1``)
    while the constraints are the same. Constraints are still compared by definition."""
    text = str(name)
    if dialect == "postgresql":
        suffix = {"unique": "key", "fk": "fkey", "check": "check", "index": "key"}[kind]
        if re.fullmatch(
            rf"{re.escape(table.encode()[:8].decode(errors='ignore'))}.*_{suffix}\d*", text
        ):
            return AUTO
        return text
    if dialect in ("mysql", "mariadb"):
        if kind == "fk" and re.fullmatch(rf"{re.escape(table)}_ibfk_\d+", text):
            return AUTO
        if kind == "check" and re.fullmatch(rf"CONSTRAINT_\d+|{re.escape(table)}_chk_\d+", text):
            return AUTO
        if (
            kind in ("unique", "index")
            and columns
            and re.fullmatch(rf"{re.escape(columns[0])}(_\d+)?", text)
        ):
            return AUTO
    return text


def _norm_sql(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text.replace("`", "").replace('"', "")


def _norm_options(options: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Dialect options as reflection reports them (index USING, WHERE, INCLUDE, prefix
    lengths; MySQL table ENGINE and charset), empty ones left out."""
    out = []
    for key, value in sorted(options.items()):
        value = getattr(value, "text", value)  # SQLite reports a partial index's WHERE as text()
        if value in (None, [], {}, ()):
            continue
        out.append((key, _norm_sql(value) if isinstance(value, str) else repr(value)))
    return tuple(out)


def _sqlite_table_options(engine: Engine, table: str) -> tuple[bool, bool] | None:
    """SQLite: (AUTOINCREMENT, WITHOUT ROWID), which reflection does not report."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).scalar()
    text = re.sub(r"\s+", " ", str(sql or "")).upper()
    return ("AUTOINCREMENT" in text, text.rstrip().endswith("WITHOUT ROWID"))


def reflect(engine: Engine) -> dict[str, Any]:
    """Tables (not flask-vertz's own) with columns, keys, indexes and constraints.

    Columns are compared by name, not position: PostgreSQL and MySQL add a column at the
    end of its table (and cannot move one without rebuilding the table), so a column added
    or renamed later sits elsewhere than ``create_all()`` would put it, on every database.
    Position is not part of the schema flask-vertz promises."""
    dialect = engine.dialect.name
    insp = sa.inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        if table.startswith("_vertz"):
            continue
        columns = {}
        for col in insp.get_columns(table):
            columns[col["name"]] = {
                "type": str(col["type"].compile(dialect=engine.dialect)),
                "nullable": bool(col["nullable"]),
                "default": _norm_default(col.get("default")),
                "comment": col.get("comment"),
                "autoincrement": col.get("autoincrement")
                if engine.dialect.name == "mysql"
                else None,
            }
            enums = getattr(col["type"], "enums", None)
            if enums:
                columns[col["name"]]["enums"] = list(enums)
            if col.get("computed"):
                computed = dict(col["computed"])
                computed["sqltext"] = _norm_sql(computed["sqltext"])
                columns[col["name"]]["computed"] = computed
            if col.get("identity"):
                columns[col["name"]]["identity"] = dict(col["identity"])
        pk = insp.get_pk_constraint(table)
        fks = sorted(
            (
                _auto(fk.get("name"), dialect, table, fk["constrained_columns"], "fk"),
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
                (fk.get("options") or {}).get("ondelete"),
                (fk.get("options") or {}).get("onupdate"),
            )
            for fk in insp.get_foreign_keys(table)
        )
        indexes = sorted(
            (
                _auto(ix["name"], dialect, table, [str(c) for c in ix["column_names"]], "index"),
                tuple(str(c) for c in ix["column_names"]),
                bool(ix["unique"]),
                _norm_options(ix.get("dialect_options") or {}),
            )
            for ix in insp.get_indexes(table)
        )
        uniques = sorted(
            (
                _auto(u.get("name"), dialect, table, u["column_names"], "unique"),
                tuple(u["column_names"]),
            )
            for u in insp.get_unique_constraints(table)
        )
        try:
            checks = sorted(
                (
                    _auto(c.get("name"), dialect, table, [], "check"),
                    re.sub(r"\s+", " ", c["sqltext"]).strip(),
                )
                for c in insp.get_check_constraints(table)
            )
        except NotImplementedError:
            checks = []
        out[table] = {
            "columns": columns,
            "primary_key": (pk.get("name"), list(pk["constrained_columns"])),
            "comment": insp.get_table_comment(table).get("text")
            if engine.dialect.name != "sqlite"
            else None,
            "foreign_keys": fks,
            "indexes": indexes,
            "unique": uniques,
            "checks": checks,
            "options": _norm_options(insp.get_table_options(table)),
            "sql_options": _sqlite_table_options(engine, table),
        }
    if engine.dialect.name == "postgresql":
        out["(enum types)"] = sorted(
            (e["name"], tuple(e["labels"]))
            for e in insp.get_enums()  # type: ignore[attr-defined]
        )
    return out


def create_all_schema(metadata: sa.MetaData, engine: Engine) -> dict[str, Any]:
    """What ``metadata.create_all()`` builds on ``engine`` (which must be empty)."""
    metadata.create_all(engine)
    return reflect(engine)


def create_all_on(metadata: sa.MetaData, url: str) -> dict[str, Any]:
    """The schema ``metadata.create_all()`` builds on the empty database ``url``."""
    engine = sa.create_engine(url)
    try:
        return create_all_schema(metadata, engine)
    finally:
        engine.dispose()


def expected(models_fn: Any, url: str) -> dict[str, Any]:
    """The schema ``create_all()`` builds for ``models_fn`` on the empty database ``url``."""
    from tests.models import metadata_of

    return create_all_on(metadata_of(models_fn), url)


def expected_sqlite(models_fn: Any, folder: Any) -> dict[str, Any]:
    """:func:`expected` on a new SQLite file in ``folder``."""
    import uuid

    return expected(models_fn, f"sqlite:///{folder}/oracle-{uuid.uuid4().hex[:8]}.db")
