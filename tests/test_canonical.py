"""Equivalent spellings never show up as changes; real changes always do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from vertz_engine.dialects import dialect_for
from vertz_engine.plan.diff import diff
from vertz_engine.schema import build, snapshot

Col = Callable[[], sa.Column]  # type: ignore[type-arg]


def _snap(col: Col, dialect: str) -> snapshot.Snapshot:
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), col())
    return build.from_metadata(md, dialect_for(dialect))


SAME = [
    ("mysql", lambda: sa.Column("b", sa.Boolean), lambda: sa.Column("b", mysql.TINYINT(1))),
    (
        "mysql",
        lambda: sa.Column("n", sa.Integer),
        lambda: sa.Column("n", mysql.INTEGER(display_width=11)),
    ),
    ("mariadb", lambda: sa.Column("j", sa.JSON), lambda: sa.Column("j", mysql.LONGTEXT)),
    (
        "postgresql",
        lambda: sa.Column("d", sa.DateTime, server_default=sa.func.now()),
        lambda: sa.Column("d", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
    ),
    (
        "sqlite",
        lambda: sa.Column("d", sa.DateTime, server_default=sa.text("now()")),
        lambda: sa.Column("d", sa.DateTime, server_default=sa.func.current_timestamp()),
    ),
    (
        "sqlite",
        lambda: sa.Column("n", sa.Integer, server_default="0"),
        lambda: sa.Column("n", sa.Integer, server_default=sa.text("0")),
    ),
    (
        "postgresql",
        lambda: sa.Column("n", sa.Integer, server_default=sa.text("'0'")),
        lambda: sa.Column("n", sa.Integer, server_default="0"),
    ),
    (
        "postgresql",
        lambda: sa.Column("s", sa.String(20), server_default="new"),
        lambda: sa.Column("s", sa.String(20), server_default=sa.text("'new'::character varying")),
    ),
    (
        "postgresql",
        lambda: sa.Column("b", sa.Boolean, server_default=sa.false()),
        lambda: sa.Column("b", sa.Boolean, server_default=sa.text("false")),
    ),
    (
        "postgresql",
        lambda: sa.Column("n", sa.Numeric(10, 2)),
        lambda: sa.Column("n", postgresql.NUMERIC(10, 2)),
    ),
    ("postgresql", lambda: sa.Column("s", sa.Unicode(30)), lambda: sa.Column("s", sa.String(30))),
    ("sqlite", lambda: sa.Column("s", sa.UnicodeText), lambda: sa.Column("s", sa.Text)),
]

DIFFERENT = [
    ("sqlite", lambda: sa.Column("s", sa.String(50)), lambda: sa.Column("s", sa.String(100))),
    (
        "postgresql",
        lambda: sa.Column("n", sa.Numeric(10, 2)),
        lambda: sa.Column("n", sa.Numeric(12, 2)),
    ),
    ("mysql", lambda: sa.Column("n", sa.Numeric(10, 2)), lambda: sa.Column("n", sa.Numeric(10, 4))),
    (
        "postgresql",
        lambda: sa.Column("n", sa.Integer, server_default="0"),
        lambda: sa.Column("n", sa.Integer, server_default="1"),
    ),
    (
        "mysql",
        lambda: sa.Column("e", sa.Enum("a", "b")),
        lambda: sa.Column("e", sa.Enum("a", "b", "c")),
    ),
    (
        "sqlite",
        lambda: sa.Column("s", sa.String(20), server_default="x"),
        lambda: sa.Column("s", sa.String(20), server_default="y"),
    ),
    (
        "postgresql",
        lambda: sa.Column("d", sa.DateTime),
        lambda: sa.Column("d", sa.DateTime(timezone=True)),
    ),
]


@pytest.mark.parametrize("dialect, a, b", SAME)
def test_equivalent_spellings_are_no_change(dialect: str, a: Col, b: Col) -> None:
    plan = diff(_snap(a, dialect), _snap(b, dialect))
    assert plan.empty, [c.describe() for c in plan.changes()]


@pytest.mark.parametrize("dialect, a, b", DIFFERENT)
def test_real_changes_are_changes(dialect: str, a: Col, b: Col) -> None:
    plan = diff(_snap(a, dialect), _snap(b, dialect))
    assert [c.kind for c in plan.changes()] == ["alter_column"]
