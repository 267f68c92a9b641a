"""Facts from the rows, before anything runs, on each database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from tests import models
from tests.helpers import AppFactory, dev_app, run
from tests.models import variant
from vertz_engine import Project


def _md(version: int) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("users", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
    cols: list[sa.Column] = [  # type: ignore[type-arg]
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "title",
            sa.String(100 if version == 1 else 3),
            nullable=True if version == 1 else False,
            unique=version == 2,
        ),
        sa.Column("user_id", sa.Integer)
        if version == 1
        else sa.Column("user_id", sa.ForeignKey("users.id")),
    ]
    if version == 1:
        cols.append(sa.Column("notes", sa.Text))
        sa.Table(
            "old_stuff", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)
        )
    sa.Table("todos", md, *cols)
    return md


def test_facts_and_blocking_problems(fresh_url: Callable[[], str], tmp_path: Path) -> None:
    engine = sa.create_engine(fresh_url())
    try:

        def project(v: int) -> Project:
            return Project(engine, _md(v), tmp_path / "m", tmp_path / "s.json")

        project(1).migrate_dev("init")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id) VALUES (1)"))
            conn.execute(sa.text("INSERT INTO old_stuff (id) VALUES (1), (2)"))
            conn.execute(
                sa.text(
                    "INSERT INTO todos (id, title, user_id, notes) VALUES "
                    "(1, 'dup', 1, 'n'), (2, 'dup', 9, NULL), (3, NULL, NULL, 'n'), (4, 'long title', 1, NULL)"
                )
            )
        p2 = project(2)
        plan = p2.plan_dev()
        p2.annotate(plan)
        facts = {c.describe(): c.fact for c in plan.changes() if c.fact}
        assert facts["drop table old_stuff (its rows are lost)"] == "2 row(s) are lost"
        assert facts["drop column todos.notes (its values are lost)"] == "2 value(s) are lost"
        alter = next(v for k, v in facts.items() if k.startswith("alter column todos.title"))
        assert alter in ("1 row(s) hold NULL", "1 value(s) are longer than 3")
        assert any(v == "1 duplicated value(s)" for v in facts.values()), facts
        assert any(v == "1 row(s) point nowhere" for v in facts.values()), facts
    finally:
        engine.dispose()


def test_migrate_dev_explains_blocking_change_before_writing(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('no priority')"))

    strict = variant("v2", priority=lambda: sa.Column(sa.Integer, nullable=False))
    app2 = dev_app(make_app, strict)
    snap = (tmp_path / "migrations" / "_snapshot.json").read_bytes()
    r = run(app2, "migrate", "dev", "--name", "strict")
    assert r.exit_code == 1
    assert (
        "alter column todos.priority (NOT NULL fails if NULLs exist): 1 row(s) hold NULL. "
        "Fill them first" in r.output
    )
    assert "no file was written" in r.output
    assert not (tmp_path / "migrations" / "0002_strict.sql").exists()
    assert (tmp_path / "migrations" / "_snapshot.json").read_bytes() == snap
