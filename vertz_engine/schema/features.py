"""Schema features beyond columns, keys and constraints that ``create_all`` builds and a
snapshot must therefore keep: computed (generated) columns, identity columns, and the
dialect options of tables and indexes (``postgresql_using``, ``mysql_engine``,
``sqlite_autoincrement``, ...).

Each is recorded as plain JSON for one dialect (only the options that dialect reads) and
rebuilt into SQLAlchemy objects from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from vertz_engine.dialects import known, traits
from vertz_engine.errors import UnsupportedModel
from vertz_engine.schema.types import Column, Computed, Identity, Loose

# Index options that say how an index is built, not what it is.
_NOT_SCHEMA = {"postgresql_concurrently", "mysql_with_parser"}
_IDENTITY_KEYS = (
    "always",
    "on_null",
    "start",
    "increment",
    "minvalue",
    "maxvalue",
    "nominvalue",
    "nomaxvalue",
    "cycle",
    "cache",
    "order",
)


def prefixes(dialect: str) -> tuple[str, ...]:
    """The keyword prefixes of options ``dialect`` reads (MariaDB reads MySQL's too)."""
    return traits(dialect).option_prefixes


def ddl_sql(clause: Any, dialect: Dialect) -> str:
    """An expression as ``CREATE TABLE``/``CREATE INDEX`` writes it (columns unqualified)."""
    if isinstance(clause, str):
        return clause
    if isinstance(clause, sa.sql.elements.TextClause):
        return clause.text
    kwargs = {"literal_binds": True, "include_table": False}
    return str(clause.compile(dialect=dialect, compile_kwargs=kwargs))


def _encode(value: Any, dialect: Dialect, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, sa.Column):
        return value.name
    if isinstance(value, dict):
        return {str(getattr(k, "name", k)): _encode(v, dialect, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, dialect, where) for v in value]
    if isinstance(value, sa.sql.ClauseElement):
        return {"sql": ddl_sql(value, dialect)}
    raise UnsupportedModel(f"{where}: option value {value!r} cannot be kept in a snapshot")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"sql"}:
            return sa.text(value["sql"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def options(
    kwargs: dict[str, Any], dialect: Dialect, where: str, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The dialect options among ``kwargs`` that ``dialect`` reads, as JSON."""
    wanted = prefixes(dialect.name)
    out = {}
    for key, value in sorted(kwargs.items()):
        if not key.startswith(wanted) or key in _NOT_SCHEMA or key in skip or value is None:
            continue
        if value == [] or value == {}:
            continue
        out[key] = _encode(value, dialect, where)
    return out


def decoded(data: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``sa.Table``/``sa.Index`` from recorded options."""
    return {k: _decode(v) for k, v in (data.get("options") or {}).items()}


def table_options(table: sa.Table, dialect: Dialect) -> dict[str, Any]:
    return options(dict(table.dialect_kwargs), dialect, f"table {table.fullname}")


def index_options(index: sa.Index, dialect: Dialect) -> dict[str, Any]:
    where = f"index {index.name}"
    # ``*_where`` is kept as the index's own "where" (snapshots made before options had it)
    return options(dict(index.dialect_kwargs), dialect, where, skip=(f"{dialect.name}_where",))


def declared_options_only(reflected: sa.MetaData, models: sa.MetaData) -> None:
    """Reflection reports every table option the server has (MySQL's default ENGINE and
    charset): keep, of a reflected table, only the options its model declares, under the
    model's spelling, so a database built from the models adopts as those models."""
    for name, table in reflected.tables.items():
        model = models.tables.get(name)
        declared = dict(model.dialect_kwargs) if model is not None else {}
        for dialect, opts in list(table.dialect_options.items()):
            present = dict(opts._non_defaults)
            for key in present:
                del opts[key]
            for key, value in present.items():
                spelled = f"{dialect}_{key.replace(' ', '_')}"
                match = next((k for k in declared if _same_option(k, spelled)), None)
                if match is not None:
                    table.dialect_options[match.split("_", 1)[0]][match.split("_", 1)[1]] = value


def _same_option(a: str, b: str) -> bool:
    """Whether two option keywords name one option (``mysql_charset`` is MySQL's
    ``mysql_default charset``)."""

    def norm(key: str) -> tuple[str, str]:
        prefix, bare = key.split("_", 1)
        family = traits(prefix).family if known(prefix) else prefix
        return family, "charset" if bare in _CHARSET_SYNONYMS else bare

    return norm(a) == norm(b)


_CHARSET_SYNONYMS = ("default_charset", "character_set", "default_character_set")


# -- columns --------------------------------------------------------------------------------


def computed(column: sa.Column[Any], dialect: Dialect) -> Computed | None:
    comp = column.computed
    if comp is None:
        return None
    data: Computed = {"sqltext": ddl_sql(comp.sqltext, dialect)}
    if comp.persisted is not None:
        data["persisted"] = bool(comp.persisted)
    return data


def identity(column: sa.Column[Any], dialect: Dialect) -> Identity | None:
    ident = column.identity
    if ident is None or not getattr(dialect, "supports_identity_columns", False):
        return None
    # the values a database reports for an identity declared without them are no change
    ascending = (getattr(ident, "increment", None) or 1) > 0
    implied = {"start": 1 if ascending else None, "increment": 1, "cache": 1}
    implied["minvalue" if ascending else "maxvalue"] = 1 if ascending else -1
    bits = {sa.SmallInteger: 15, sa.BigInteger: 63}
    top = next((2**b - 1 for cls, b in bits.items() if isinstance(column.type, cls)), 2**31 - 1)
    implied["maxvalue" if ascending else "minvalue"] = top if ascending else -top - 1
    data: dict[str, Any] = {}
    for key in _IDENTITY_KEYS:
        value = getattr(ident, key, None)
        if value is not None and value is not False and implied.get(key) != value:
            data[key] = value
    return cast(Identity, data)


def column_problem(col: dict[str, Any]) -> str | None:
    """What is wrong with a column's computed/identity entries in a loaded snapshot."""
    comp = col.get("computed")
    if comp is not None and not (isinstance(comp, dict) and isinstance(comp.get("sqltext"), str)):
        return f"column {col['name']!r} has a malformed 'computed'"
    ident = col.get("identity")
    if ident is not None and not (isinstance(ident, dict) and set(ident) <= set(_IDENTITY_KEYS)):
        return f"column {col['name']!r} has a malformed 'identity'"
    return None


def column_extras(data: Column | Loose) -> list[Any]:
    """``sa.Computed`` / ``sa.Identity`` arguments for a column built from ``data``."""
    out: list[Any] = []
    comp = data.get("computed")
    if comp:
        out.append(sa.Computed(sa.text(comp["sqltext"]), persisted=comp.get("persisted")))
    ident = data.get("identity")
    if ident is not None:
        out.append(sa.Identity(**ident))
    return out


def check_table(table: sa.Table) -> None:
    """Refuse what flask-vertz cannot migrate, with one message naming the table."""
    if table.schema is not None:
        raise UnsupportedModel(
            f"table {table.fullname}: tables in another schema ({table.schema!r}) are not "
            "supported by flask-vertz; remove the schema from the model (__table_args__) or "
            "manage that table outside flask-vertz"
        )
