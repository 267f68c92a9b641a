"""The benchmark's models, built the same way in every process that needs them.

``build(md, n)`` fills ``md`` with ``n`` tables of 20 mixed columns each (Integer, String(n),
Text, Boolean, DateTime, Numeric(10,2); nullable and not; two with server defaults), a
foreign key to the previous table (the first table points at itself) and two indexes.
``extra`` adds nullable columns on top: ``{table_index: [column names]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa

ColumnFactory = Callable[[str, int], sa.Column[object]]

# 17 data columns after id, parent_id and code (20 in all); (suffix, factory) pairs
_DATA: list[tuple[str, ColumnFactory]] = [
    ("title", lambda n, i: sa.Column(n, sa.String(120), nullable=False)),
    ("body", lambda n, i: sa.Column(n, sa.Text(), nullable=True)),
    ("active", lambda n, i: sa.Column(n, sa.Boolean(), nullable=False)),
    ("created_at", lambda n, i: sa.Column(n, sa.DateTime(), nullable=False)),
    ("price", lambda n, i: sa.Column(n, sa.Numeric(10, 2), nullable=True)),
    ("qty", lambda n, i: sa.Column(n, sa.Integer(), nullable=False, server_default=sa.text("0"))),
    ("label", lambda n, i: sa.Column(n, sa.String(40), nullable=True)),
    ("notes", lambda n, i: sa.Column(n, sa.Text(), nullable=False)),
    ("flag", lambda n, i: sa.Column(n, sa.Boolean(), nullable=True)),
    ("updated_at", lambda n, i: sa.Column(n, sa.DateTime(), nullable=True)),
    ("amount", lambda n, i: sa.Column(n, sa.Numeric(10, 2), nullable=False)),
    ("rank", lambda n, i: sa.Column(n, sa.Integer(), nullable=True)),
    (
        "state",
        lambda n, i: sa.Column(n, sa.String(20), nullable=False, server_default=sa.text("'new'")),
    ),
    ("summary", lambda n, i: sa.Column(n, sa.String(200), nullable=True)),
    ("score", lambda n, i: sa.Column(n, sa.Integer(), nullable=True)),
    ("due_at", lambda n, i: sa.Column(n, sa.DateTime(), nullable=True)),
    ("ratio", lambda n, i: sa.Column(n, sa.Numeric(10, 2), nullable=True)),
]


def table_name(i: int) -> str:
    return f"t_{i:04d}"


def add_table(md: sa.MetaData, i: int, extra: Sequence[str] = ()) -> sa.Table:
    name = table_name(i)
    parent = table_name(i - 1) if i > 0 else name
    cols: list[sa.Column[object]] = [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey(f"{parent}.id"), nullable=True),
        sa.Column("code", sa.String(32), nullable=False),
    ]
    cols += [factory(suffix, i) for suffix, factory in _DATA]
    cols += [sa.Column(c, sa.Integer(), nullable=True) for c in extra]
    return sa.Table(
        name,
        md,
        *cols,
        sa.Index(f"ix_{name}_parent_id", "parent_id"),
        sa.Index(f"ix_{name}_code_state", "code", "state"),
    )


def build(md: sa.MetaData, n: int, extra: Mapping[int, Sequence[str]] | None = None) -> sa.MetaData:
    """Add the ``n`` benchmark tables to ``md`` (a Flask-SQLAlchemy ``db.metadata`` too)."""
    extra = extra or {}
    for i in range(n):
        add_table(md, i, extra.get(i, ()))
    return md


def metadata(n: int, extra: Mapping[int, Sequence[str]] | None = None) -> sa.MetaData:
    return build(sa.MetaData(), n, extra)


def deploy_extra(n_tables: int, n_migrations: int, upto: int) -> dict[int, list[str]]:
    """The columns the first ``upto`` of the deploy workload's migrations add: migration
    ``k`` adds ``x_{k:04d}`` (nullable INTEGER) to table ``k % n_tables``."""
    out: dict[int, list[str]] = {}
    for k in range(min(upto, n_migrations)):
        out.setdefault(k % n_tables, []).append(extra_column(k))
    return out


def extra_column(k: int) -> str:
    return f"x_{k:04d}"


# workload 4: one wide-ish table of many rows whose column changes type
BIG_TABLE = "big"


def big_metadata(changed: bool) -> sa.MetaData:
    """``big.name`` is VARCHAR(50) NULL before and VARCHAR(100) NOT NULL after (SQLite
    cannot alter a column in place, so this forces the table rebuild)."""
    md = sa.MetaData()
    sa.Table(
        BIG_TABLE,
        md,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100 if changed else 50), nullable=not changed),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Index("ix_big_value", "value"),
    )
    return md
