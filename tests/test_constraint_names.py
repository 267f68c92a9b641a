"""Constraint names are known, never guessed: constraints the models leave unnamed are
dropped under the name the database gave them (looked up by definition at apply time),
whatever order the database numbered them in; names fit the database's limits; drift sees a
wrong constraint. On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.oracle import create_all_on, reflect
from vertz_engine import Project

ORDERS = [(0, 1), (1, 0)]


def _models(version: int, order: tuple[int, int], table: str = "child") -> sa.MetaData:
    """``child`` with two unnamed foreign keys to ``parent``, two unnamed uniques sharing a
    first column, an unnamed CHECK on a column and one on the table. Version 2 drops one of
    each (the first foreign key, the (a, b) unique and both checks)."""
    md = sa.MetaData()
    sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
    fks = [
        sa.ForeignKeyConstraint(["p1"], ["parent.id"]),
        sa.ForeignKeyConstraint(["p2"], ["parent.id"]),
    ]
    uqs = [sa.UniqueConstraint("a", "b"), sa.UniqueConstraint("a", "c")]
    checks = [sa.CheckConstraint("n > 0"), sa.CheckConstraint("a < b")]
    keep: list[Any] = []
    for i in order:
        if version == 1 or i == 1:
            keep += [fks[i], uqs[i]]
    if version == 1:
        keep += [checks[i] for i in order]
    sa.Table(
        table,
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("p1", sa.Integer),
        sa.Column("p2", sa.Integer),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        sa.Column("c", sa.Integer),
        sa.Column("n", sa.Integer),
        *keep,
    )
    return md


def _engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", lambda c, _r: c.execute("PRAGMA foreign_keys=ON"))
    return engine


def _project(engine: sa.Engine, md: sa.MetaData, tmp_path: Path) -> Project:
    return Project(engine, md, tmp_path / "migrations", tmp_path / "snap.json")


def _fails(engine: sa.Engine, sql: str, table: str = "child") -> bool:
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    except sa.exc.DBAPIError:
        return True
    with engine.begin() as conn:  # it worked: undo it
        conn.exec_driver_sql(f"DELETE FROM {table}")
    return False


def _behaviour(engine: sa.Engine, version: int) -> None:
    """What the constraints do: the kept ones hold, the removed ones are gone."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM child")
        conn.exec_driver_sql("DELETE FROM parent")
        conn.exec_driver_sql("INSERT INTO parent (id) VALUES (1)")
    # p2 (kept in both versions) must point somewhere
    assert _fails(engine, "INSERT INTO child (id, p2, n) VALUES (1, 99, 1)")
    # p1 is checked only in version 1
    assert _fails(engine, "INSERT INTO child (id, p1, n) VALUES (1, 99, 1)") == (version == 1)
    # unique (a, c) always; (a, b) only in version 1
    assert _fails(engine, "INSERT INTO child (id, a, c, n) VALUES (1, 1, 1, 1), (2, 1, 1, 1)")
    assert _fails(engine, "INSERT INTO child (id, a, b, n) VALUES (1, 1, 2, 1), (2, 1, 2, 1)") == (
        version == 1
    )
    # the checks n > 0 and a < b only in version 1
    assert _fails(engine, "INSERT INTO child (id, n) VALUES (1, -1)") == (version == 1)
    assert _fails(engine, "INSERT INTO child (id, a, b, n) VALUES (1, 5, 1, 1)") == (version == 1)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM parent")


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("built_by", ["create_all", "vertz"])
def test_unnamed_constraints_dropped_by_their_real_names(
    fresh_url: Callable[[], str],
    dialect_kind: str,
    tmp_path: Path,
    order: tuple[int, int],
    built_by: str,
) -> None:
    url = fresh_url()
    engine = _engine(url)
    v1, v2 = _models(1, order), _models(2, order)
    if built_by == "create_all":
        v1.create_all(engine)  # the database numbers the constraints in this order
        p = _project(engine, v1, tmp_path)
        p.migrate_dev("init", create_only=True)
        p.baseline()
    else:
        _project(engine, v1, tmp_path).migrate_dev("init")
    assert reflect(engine) == create_all_on(_models(1, order), fresh_url())
    _behaviour(engine, 1)

    p2 = _project(engine, v2, tmp_path)
    p2.migrate_dev("drop_some")
    assert reflect(engine) == create_all_on(_models(2, order), fresh_url())
    _behaviour(engine, 2)
    assert p2.status().db_drift == []

    p2.rollback(1)  # the rollback section adds them back
    assert reflect(engine) == create_all_on(_models(1, order), fresh_url())
    _behaviour(engine, 1)
    engine.dispose()


def _drop_wrong_unique(engine: sa.Engine, kind: str) -> None:
    """By hand: drop the unique on (a, c), which the models keep."""
    insp = sa.inspect(engine)
    if kind == "mysql":
        name = next(
            ix["name"]
            for ix in insp.get_indexes("child")
            if ix["unique"] and ix["column_names"] == ["a", "c"]
        )
        sql = f"ALTER TABLE child DROP INDEX `{name}`"
    else:
        name = next(
            u["name"]
            for u in insp.get_unique_constraints("child")
            if u["column_names"] == ["a", "c"]
        )
        sql = f'ALTER TABLE child DROP CONSTRAINT "{name}"'
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)


def test_status_sees_a_wrong_constraint(postgres_url: str, mysql_url: str, tmp_path: Path) -> None:
    for kind, url in (("postgres", postgres_url), ("mysql", mysql_url)):
        engine = sa.create_engine(url)
        folder = tmp_path / kind
        p = _project(engine, _models(1, (0, 1)), folder)
        p.migrate_dev("init")
        p2 = _project(engine, _models(2, (0, 1)), folder)
        p2.migrate_dev("drop_some")
        assert p2.status().db_drift == []
        _drop_wrong_unique(engine, kind)
        assert (
            "unique constraint (a, c) on child is missing from the database" in p2.status().db_drift
        )
        fk = next(f["name"] for f in sa.inspect(engine).get_foreign_keys("child"))  # p2's, kept
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"ALTER TABLE child DROP {'FOREIGN KEY' if kind == 'mysql' else 'CONSTRAINT'} {fk}"
            )
        assert "foreign key (p2) on child is missing from the database" in p2.status().db_drift
        engine.dispose()


def test_status_sees_a_wrong_check(postgres_url: str, mysql_url: str, tmp_path: Path) -> None:
    for kind, url in (("postgres", postgres_url), ("mysql", mysql_url)):
        engine = sa.create_engine(url)
        p = _project(engine, _models(1, (0, 1)), tmp_path / kind)
        p.migrate_dev("init")
        assert p.status().db_drift == []
        name = next(
            c["name"]
            for c in sa.inspect(engine).get_check_constraints("child")
            if "n" in c["sqltext"]
        )
        q = f"`{name}`" if kind == "mysql" else f'"{name}"'
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE child DROP CONSTRAINT {q}")
        assert p.status().db_drift == ["check (n > 0) on child is missing from the database"]
        engine.dispose()


LONG_TABLE = "sipariş_kalemleri_ürün_ayrıntıları"  # 34 characters, 40 bytes
LONG_COLS = ["müşteri_numarası_çok_uzun_bir_kolon_adı", "ürün_numarası_çok_uzun_bir_kolon_adı"]


def _long_models(version: int, convention: bool) -> sa.MetaData:
    """Names over 63 bytes once PostgreSQL or a naming convention composes them."""
    md = sa.MetaData(
        naming_convention={
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        }
        if convention
        else None
    )
    sa.Table("ürün", md, sa.Column("id", sa.Integer, primary_key=True))
    a, b = LONG_COLS
    items: list[Any] = [sa.Index(None, b)] if convention else []
    if version == 1:
        items += [
            sa.UniqueConstraint(a, b),
            sa.ForeignKeyConstraint([b], ["ürün.id"]),
            sa.CheckConstraint(sa.column(a) > 0),
        ]
    sa.Table(
        LONG_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(a, sa.Integer),
        sa.Column(b, sa.Integer),
        *items,
    )
    return md


@pytest.mark.parametrize("convention", [False, True])
def test_long_and_multibyte_names_fit_and_drop(
    fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path, convention: bool
) -> None:
    engine = _engine(fresh_url())
    p = _project(engine, _long_models(1, convention), tmp_path)
    p.migrate_dev("init")
    assert reflect(engine) == create_all_on(_long_models(1, convention), fresh_url())
    names = [u["name"] for u in sa.inspect(engine).get_unique_constraints(LONG_TABLE)]
    names += [f["name"] for f in sa.inspect(engine).get_foreign_keys(LONG_TABLE)]
    if dialect_kind == "postgres":  # 63 bytes
        assert all(len(str(n).encode()) <= 63 for n in names if n)
    elif dialect_kind == "mysql":  # 64 characters
        assert all(len(str(n)) <= 64 for n in names if n)
    p2 = _project(engine, _long_models(2, convention), tmp_path)
    p2.migrate_dev("drop_them")
    assert reflect(engine) == create_all_on(_long_models(2, convention), fresh_url())
    assert p2.status().db_drift == []
    p2.rollback(1)
    assert reflect(engine) == create_all_on(_long_models(1, convention), fresh_url())
    engine.dispose()


def test_no_unique_match_fails_clearly_and_drops_nothing(
    postgres_url: str, mysql_url: str, tmp_path: Path
) -> None:
    for kind, url in (("postgres", postgres_url), ("mysql", mysql_url)):
        engine = sa.create_engine(url)
        folder = tmp_path / kind
        _project(engine, _models(1, (0, 1)), folder).migrate_dev("init")
        # by hand: the (a, b) unique is gone and a second (a, c) unique exists
        with engine.begin() as conn:
            for u in sa.inspect(conn).get_unique_constraints("child"):
                if u["column_names"] == ["a", "b"]:
                    q = f"`{u['name']}`" if kind == "mysql" else f'"{u["name"]}"'
                    conn.exec_driver_sql(
                        f"ALTER TABLE child {'DROP INDEX' if kind == 'mysql' else 'DROP CONSTRAINT'} {q}"
                    )
        before = reflect(engine)
        p2 = _project(engine, _models(2, (0, 1)), folder)
        with pytest.raises(Exception) as info:
            p2.migrate_dev("drop_some")
        if kind == "postgres":
            assert (
                "flask-vertz: cannot tell which unique constraint on child (a, b) to drop: 0 match; "
                "nothing dropped" in str(info.value)
            )
            assert reflect(engine) == before  # one transaction: nothing happened
        else:
            assert (
                "flask-vertz: not exactly one unique constraint on child (a, b); nothing dropped"
                in str(info.value)
            )
            # nothing but what ran before it: the unique on (a, c) is still there
            uniques = [
                u["column_names"] for u in sa.inspect(engine).get_unique_constraints("child")
            ]
            assert ["a", "c"] in uniques
        engine.dispose()


def test_postgres_table_rename_renames_database_named_constraints(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(postgres_url)
    _project(engine, _models(1, (0, 1)), tmp_path).migrate_dev("init")
    p2 = _project(engine, _models(1, (0, 1), table="kid"), tmp_path)
    p2.migrate_dev("rename", renames={"child": "kid"})
    with engine.connect() as conn:
        names = sorted(
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'kid'::regclass"
            )
        )
    assert names == sorted(
        [
            "kid_pkey",
            "kid_a_b_key",
            "kid_a_c_key",
            "kid_p1_fkey",
            "kid_p2_fkey",
            "kid_n_check",
            "kid_check",
        ]
    )
    p2.rollback(1)
    with engine.connect() as conn:
        back = sorted(
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'child'::regclass"
            )
        )
    assert back == sorted(
        [
            "child_pkey",
            "child_a_b_key",
            "child_a_c_key",
            "child_p1_fkey",
            "child_p2_fkey",
            "child_n_check",
            "child_check",
        ]
    )
    engine.dispose()


def _odd_models(version: int) -> sa.MetaData:
    """Names that need quoting in every way: spaces, case, quotes, backticks, backslashes."""
    md = sa.MetaData()
    sa.Table("Odd Parent", md, sa.Column("id", sa.Integer, primary_key=True))
    a, b, c = "o'k", "we`ird", "back\\slash"
    items: list[Any] = [sa.ForeignKeyConstraint([b], ["Odd Parent.id"]), sa.UniqueConstraint(a, c)]
    if version == 1:
        items += [
            sa.ForeignKeyConstraint([a], ["Odd Parent.id"]),
            sa.UniqueConstraint(a, b),
            sa.CheckConstraint(sa.column(c) > 0),
        ]
    sa.Table(
        'Order "Items"',
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(n, sa.Integer) for n in (a, b, c)],
        *items,
    )
    return md


def test_names_that_need_quoting(
    fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path
) -> None:
    engine = _engine(fresh_url())
    _project(engine, _odd_models(1), tmp_path).migrate_dev("init")
    assert reflect(engine) == create_all_on(_odd_models(1), fresh_url())
    p2 = _project(engine, _odd_models(2), tmp_path)
    p2.migrate_dev("drop_some")
    assert reflect(engine) == create_all_on(_odd_models(2), fresh_url())
    assert p2.status().db_drift == []
    p2.rollback(1)
    assert reflect(engine) == create_all_on(_odd_models(1), fresh_url())
    engine.dispose()


def _enum_models(values: list[str]) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "t",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("s", sa.Enum(*values, native_enum=False, create_constraint=True)),
    )
    return md


@pytest.mark.parametrize("dialect_kind", ["mysql"])
def test_mysql_unnamed_enum_check_goes_with_its_type(
    fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path
) -> None:
    """A non-native enum's own (unnamed) CHECK is replaced when its values change, and back
    in the rollback."""
    engine = sa.create_engine(fresh_url())
    _project(engine, _enum_models(["a", "b"]), tmp_path).migrate_dev("init")
    p2 = _project(engine, _enum_models(["a", "b", "c"]), tmp_path)
    p2.migrate_dev("more")
    assert reflect(engine) == create_all_on(_enum_models(["a", "b", "c"]), fresh_url())
    assert not _fails(engine, "INSERT INTO t (id, s) VALUES (1, 'c')", "t")
    assert _fails(engine, "INSERT INTO t (id, s) VALUES (1, 'x')", "t")
    assert p2.status().db_drift == []
    p2.rollback(1)
    assert reflect(engine) == create_all_on(_enum_models(["a", "b"]), fresh_url())
    assert _fails(engine, "INSERT INTO t (id, s) VALUES (1, 'c')", "t")
    engine.dispose()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_lookup_statements_survive_the_splitter(dialect: str) -> None:
    """The file's text splits back into exactly the statements rendered (the DO block is one
    statement; the MySQL lookup is four plain ones), whatever the names hold."""
    from vertz_engine.dialects import dialect_for
    from vertz_engine.files.sqlsplit import split
    from vertz_engine.plan.diff import diff
    from vertz_engine.plan.render import render
    from vertz_engine.schema import build

    d = dialect_for(dialect)
    for old, new in ((_odd_models(1), _odd_models(2)), (_models(1, (0, 1)), _models(2, (1, 0)))):
        plan = diff(build.from_metadata(old, d), build.from_metadata(new, d))
        statements = render(plan, d)
        assert any("information_schema" in s or "pg_constraint" in s for s in statements)
        assert split("\n\n".join(statements)) == statements


def test_names_are_fitted_as_the_database_stores_them() -> None:
    """A convention name over the limit is shortened as SQLAlchemy shortens it, then cut at
    63 bytes on PostgreSQL; an explicit one over the limit is refused at generation."""
    from vertz_engine.dialects import dialect_for
    from vertz_engine.errors import SnapshotError
    from vertz_engine.schema import build

    pg, my = dialect_for("postgresql"), dialect_for("mysql")
    for version in (1, 2):
        md = _long_models(version, convention=True)
        for d, limit, size in ((pg, 63, lambda n: len(n.encode())), (my, 64, len)):
            table = build.from_metadata(md, d)["tables"][LONG_TABLE]
            names = [
                i["name"]
                for key in ("indexes", "unique_constraints", "foreign_keys")
                for i in table[key]
            ]
            assert names and all(size(n) <= limit for n in names)
    md = sa.MetaData()
    sa.Table(
        "t",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer),
        sa.UniqueConstraint("a", name="u" * 70),
    )
    with pytest.raises(SnapshotError) as info:
        build.from_metadata(md, my)
    assert str(info.value) == (
        f"constraint name {'u' * 70!r} is 70 characters long; mysql allows 64: give it a shorter name"
    )


def _column_check_models(version: int) -> sa.MetaData:
    """An unnamed CHECK declared on its column (version 1), gone in version 2."""
    md = sa.MetaData()
    checks = [sa.CheckConstraint("n > 0")] if version == 1 else []
    sa.Table(
        "child",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, *checks),
    )
    return md


def test_unnamed_column_check_is_created_and_dropped(
    fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path
) -> None:
    engine = _engine(fresh_url())
    _project(engine, _column_check_models(1), tmp_path).migrate_dev("init")
    assert reflect(engine) == create_all_on(_column_check_models(1), fresh_url())
    assert _fails(engine, "INSERT INTO child (id, n) VALUES (1, -1)")
    p2 = _project(engine, _column_check_models(2), tmp_path)
    p2.migrate_dev("drop_check")
    assert reflect(engine) == create_all_on(_column_check_models(2), fresh_url())
    assert not _fails(engine, "INSERT INTO child (id, n) VALUES (1, -1)")
    assert p2.status().db_drift == []
    p2.rollback(1)
    assert _fails(engine, "INSERT INTO child (id, n) VALUES (1, -1)")
    if dialect_kind != "mysql":  # MariaDB's ALTER adds it at table level, under another name
        assert reflect(engine) == create_all_on(_column_check_models(1), fresh_url())
    engine.dispose()
