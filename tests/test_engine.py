"""Engine pieces without Flask: snapshot determinism, files, splitting, atomic apply."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import models
from tests.oracle import reflect
from vertz_engine import Project
from vertz_engine.db import database, history
from vertz_engine.db.runner import execute
from vertz_engine.dialects import dialect_for
from vertz_engine.errors import MigrationFailed, SnapshotError
from vertz_engine.files import migration_file
from vertz_engine.files.snapshot_file import load
from vertz_engine.files.sqlsplit import split
from vertz_engine.schema import build, snapshot

SNAPSHOT_SCRIPT = """
import sys
from tests import models
from vertz_engine.dialects import dialect_for
from vertz_engine.schema import build, snapshot
md = models.metadata_of(models.v3)
sys.stdout.write(snapshot.dumps(build.from_metadata(md, dialect_for(sys.argv[1]))))
"""


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_same_models_give_byte_identical_json_across_processes(dialect: str) -> None:
    root = Path(__file__).resolve().parent.parent
    outs = {
        subprocess.run(
            [sys.executable, "-c", SNAPSHOT_SCRIPT, dialect],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1
    snap = snapshot.validate(__import__("json").loads(outs.pop()), "x")
    again = build.from_metadata(snapshot.to_metadata(snap), dialect_for(dialect))
    assert snapshot.fingerprint(again) == snapshot.fingerprint(snap)


def test_split_respects_quotes_comments_dollar_bodies_and_triggers() -> None:
    text = (
        "-- a comment; not a statement\n"
        "INSERT INTO t VALUES ('a;b');\n"
        "/* block; comment */\n"
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1; DELETE FROM u; END;\n"
    )
    parts = split(text)
    assert len(parts) == 3
    assert parts[0].endswith("INSERT INTO t VALUES ('a;b');")
    assert "SELECT 1; $$" in parts[1]
    assert parts[2].startswith("CREATE TRIGGER") and parts[2].endswith("END;")


def test_missing_snapshot_is_none_and_bad_format_names_the_file(tmp_path: Path) -> None:
    assert load(tmp_path / "none.json", remedy="") is None
    bad = tmp_path / "s.json"
    bad.write_text('{"format": 99, "dialect": "sqlite", "tables": {}}')
    with pytest.raises(
        SnapshotError,
        match=f"snapshot {bad} has snapshot format 99; this version reads format 1. Fix it.",
    ):
        load(bad, remedy="Fix it.")


def test_snapshot_types_outside_sqlalchemy_are_refused() -> None:
    from vertz_engine.schema.typespec import type_from_spec

    with pytest.raises(SnapshotError, match="only sqlalchemy types are allowed"):
        type_from_spec({"class": "os.system"})


def test_failed_migration_leaves_schema_and_history_as_they_were(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.begin() as conn:
        models.metadata_of(models.v1).create_all(conn)
        history.ensure_tables(conn)
    before = reflect(engine)
    statements = [
        "ALTER TABLE todos ADD COLUMN priority INTEGER",
        "CREATE TABLE extra (id INTEGER PRIMARY KEY)",
        "ALTER TABLE no_such_table ADD COLUMN x INTEGER",
    ]
    with database.connect(engine) as conn:
        with pytest.raises(
            MigrationFailed, match="0002_x: statement 3 of 3 failed: no such table: no_such_table"
        ):
            with database.transaction(conn):
                execute(conn, statements, name="0002_x")
                history.Recorder(conn).applied("0002_x", "sha256:0")
        assert history.read_history(conn) == []
    assert reflect(engine) == before
    engine.dispose()


def test_sign_rewrites_only_the_checksum(tmp_path: Path) -> None:
    path = tmp_path / "0001_x.sql"
    path.write_text(migration_file.render("0001_x", ["CREATE TABLE a (id INT)"], ["DROP TABLE a"]))
    text = path.read_text().replace("INT)", "INTEGER)")
    path.write_text(text)
    assert not migration_file.parse(path).signed
    assert migration_file.sign(path)
    mf = migration_file.parse(path)
    assert mf.signed and "INTEGER" in mf.up
    assert not migration_file.sign(path)


def test_an_apps_own_gc_freeze_is_kept(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True))
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        Project(engine, md, tmp_path / "m", tmp_path / "s.json").apply_models()
        # unfreezing would empty the permanent generation; a few frozen objects may be freed
        # by reference counting meanwhile (caches replaced), which is not an unfreeze
        assert frozen > 0 and gc.get_freeze_count() > frozen * 0.9
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        engine.dispose()
